// The webhook endpoints (see endpoints.hpp): registration, list, removal
// and the record of deliveries. The secret goes in and never comes out.
#include "http/endpoints.hpp"
#include "http/endpoints_ask.hpp"

#include "http/json.hpp"
#include "model/time.hpp"
#include "model/webhook_request.hpp"

namespace tmx {

namespace {

/// `{id, url, events, created_at}`: never the secret.
void write_webhook(json_writer& w, const webhook& h) {
  w.StartObject();
  w.Key("id");
  w.Uint64(h.id);
  put(w, "url", h.url);
  w.Key("events");
  w.StartArray();
  for (auto t : h.events)
    w.String(to_string(t));
  w.EndArray();
  put(w, "created_at", format_time(h.created_at));
  w.EndObject();
}

/// `{event_id, type, attempt, status (null: no HTTP answer), error, at}`.
void write_attempt(json_writer& w, const delivery_attempt& a) {
  w.StartObject();
  w.Key("event_id");
  w.Uint64(a.event_id);
  put(w, "type", to_string(a.type));
  w.Key("attempt");
  w.Uint(a.attempt);
  w.Key("status");
  if (a.status == 0)
    w.Null();
  else
    w.Int(a.status);
  put(w, "error", a.error);
  put(w, "at", format_time(a.at));
  w.EndObject();
}

/// The webhook id of a path, or false once `ex` is answered with 40001.
bool read_webhook_id(exchange& ex, const path_param& p, uint64_t& id) {
  if (parse_webhook_id(p.raw, id))
    return true;
  ex.reply_error(invalid("id must be a positive integer"));
  return false;
}

} // namespace

void endpoints::list_webhooks(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.hooks,
    [ex](std::vector<webhook>& hooks) {
      ex->reply_ok(list_body("webhooks", hooks, write_webhook));
    },
    webhook_atom::value);
}

void endpoints::add_webhook(const exchange_ptr& ex, const path_param&) {
  webhook w;
  if (auto err = parse_webhook_request(ex->body(), w))
    return ex->reply_error(err);
  ask(
    ex, handles_.hooks,
    [ex](webhook& stored) {
      ex->reply_ok(
        success_body([&](json_writer& w) { write_webhook(w, stored); }));
    },
    webhook_atom::value, std::move(w));
}

void endpoints::erase_webhook(const exchange_ptr& ex, const path_param& p) {
  uint64_t id = 0;
  if (!read_webhook_id(*ex, p, id))
    return;
  ask(
    ex, handles_.hooks,
    [ex](ok_atom) { ex->reply_ok(count_body("deleted_count", 1)); },
    webhook_atom::value, erase_atom::value, id);
}

void endpoints::webhook_deliveries(const exchange_ptr& ex,
                                   const path_param& p) {
  uint64_t id = 0;
  if (!read_webhook_id(*ex, p, id))
    return;
  ask(
    ex, handles_.hooks,
    [ex](std::vector<delivery_attempt>& attempts) {
      ex->reply_ok(list_body("deliveries", attempts, write_attempt));
    },
    webhook_atom::value, id);
}

} // namespace tmx

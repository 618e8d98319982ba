// The API's endpoints (see endpoints.hpp): read the request, ask an actor,
// reply with the body the contract gives.
#include "http/endpoints.hpp"
#include "http/endpoints_ask.hpp"

#include "actors/timeouts.hpp"
#include "http/json.hpp"
#include "model/request_parsing.hpp"
#include "model/time.hpp"

namespace tmx {

namespace {

/// The task id of a path, or false once `ex` is answered with 40001. Taken
/// as written: a task id has no characters that need an escape.
bool read_task_id(exchange& ex, const path_param& p, task_id& id) {
  if (parse_task_id(p.raw, id))
    return true;
  ex.reply_error(invalid("task_id must be a positive integer"));
  return false;
}

/// The query string of `ex` read by `parse`, or 40001 when it cannot be
/// read at all.
template <class Parse>
api_error parse_query_of(const exchange& ex, Parse parse) {
  auto query = ex.query();
  if (!query)
    return invalid("query string is malformed");
  return parse(*query);
}

void reply_task(exchange& ex, const task& t) {
  ex.reply_ok(task_body(t, now_millis()));
}

} // namespace

endpoints::endpoints(caf::actor_system& sys, server_handles handles,
                     license_options license)
  : sys_(sys), handles_(std::move(handles)), license_(std::move(license)) {
}

void endpoints::ready(const exchange_ptr& ex, bool shutting_down) {
  if (shutting_down)
    return ex->reply_text(503, "shutting down");
  ask_or(
    handles_.db,
    [ex](const std::string& why) {
      if (why.empty())
        ex->reply_text(200, "ready");
      else
        ex->reply_text(503, why);
    },
    [ex](caf::error&) { ex->reply_text(503, "the store does not answer"); },
    ready_atom::value);
}

void endpoints::license_check(const exchange_ptr& ex, const path_param&) {
  ex->reply_ok(license_body(license_.plan, license_.device_limit));
}

void endpoints::devices(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.manager,
    [ex](std::vector<device_info>& devs) {
      ex->reply_ok(list_body("devices", devs, write_device));
    },
    device_atom::value);
}

void endpoints::screenshot(const exchange_ptr& ex, const path_param& serial) {
  if (!serial.decoded)
    return ex->reply_error(invalid("serial is not valid percent-encoding"));
  // The PNG itself, not the envelope (errors are the envelope).
  ask(
    ex, handles_.manager,
    [ex](std::string& png) { ex->reply_png(std::move(png)); },
    screen_atom::value, *serial.decoded);
}

void endpoints::nodes(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.gate,
    [ex](std::vector<node_info>& nodes) {
      ex->reply_ok(list_body("nodes", nodes, write_node));
    },
    node_atom::value);
}

void endpoints::list_accounts(const exchange_ptr& ex, const path_param&) {
  account_query q;
  if (auto err = parse_query_of(*ex, [&](const query_lookup& query) {
        return parse_account_query(query, q);
      }))
    return ex->reply_error(err);
  ask(
    ex, handles_.manager,
    [ex, q](std::vector<account>& all) {
      ex->reply_ok(account_page_body(select_accounts(all, q), q.page));
    },
    account_atom::value);
}

void endpoints::put_account(const exchange_ptr& ex, const path_param&) {
  account a;
  if (auto err = parse_account(ex->body(), a))
    return ex->reply_error(err);
  ask(
    ex, handles_.manager,
    [ex](account& a) {
      ex->reply_ok(success_body([&](json_writer& w) { write_account(w, a); }));
    },
    account_atom::value, std::move(a));
}

void endpoints::erase_account(const exchange_ptr& ex,
                              const path_param& username) {
  if (!username.decoded)
    return ex->reply_error(invalid("username is not valid percent-encoding"));
  ask(
    ex, handles_.manager,
    [ex](ok_atom) { ex->reply_ok(count_body("deleted_count", 1)); },
    account_atom::value, erase_atom::value, *username.decoded);
}

void endpoints::list(const exchange_ptr& ex, const path_param&) {
  task_filter filter;
  paging page;
  if (auto err = parse_query_of(*ex, [&](const query_lookup& query) {
        return parse_list_query(query, filter, page);
      }))
    return ex->reply_error(err);
  ask(
    ex, handles_.db,
    [ex, page](task_page& p) {
      ex->reply_ok(task_page_body(p, page, now_millis()));
    },
    list_atom::value, filter, page.page, page.page_size);
}

void endpoints::create(const exchange_ptr& ex, const path_param&) {
  auto body = ex->body();
  create_command cmd;
  if (auto err = parse_create_request(body, now_millis(), cmd.req))
    return ex->reply_error(err);
  if (auto src = ex->header("X-Tmx-Source"); src && *src == "ui")
    cmd.source = "ui";
  if (auto key = ex->header("Idempotency-Key")) {
    if (auto err = check_idempotency_key(*key))
      return ex->reply_error(err);
    cmd.idempotency_key = std::string(*key);
    cmd.fingerprint = body_fingerprint(body);
  }
  ask(
    ex, handles_.manager,
    [ex](std::vector<task_id>& ids) { ex->reply_ok(created_body(ids)); },
    create_atom::value, std::move(cmd));
}

void endpoints::batch_delete(const exchange_ptr& ex, const path_param&) {
  std::vector<task_id> ids;
  if (auto err = parse_batch_ids(ex->body(), ids))
    return ex->reply_error(err);
  ask(
    ex, handles_.manager,
    [ex, ids](std::vector<task_id>& erased) {
      ex->reply_ok(batch_deleted_body(ids, erased));
    },
    erase_atom::value, ids);
}

void endpoints::stats(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.db, [ex](task_counts& c) { ex->reply_ok(stats_body(c)); },
    stats_atom::value);
}

void endpoints::retry_all(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.manager,
    [ex](uint64_t n) { ex->reply_ok(count_body("retried_count", n)); },
    retry_all_atom::value);
}

void endpoints::detail(const exchange_ptr& ex, const path_param& p) {
  task_id id = 0;
  if (read_task_id(*ex, p, id))
    ask(
      ex, handles_.db, [ex](task& t) { reply_task(*ex, t); }, get_atom::value,
      id);
}

void endpoints::erase_one(const exchange_ptr& ex, const path_param& p) {
  task_id id = 0;
  if (!read_task_id(*ex, p, id))
    return;
  ask(
    ex, handles_.manager,
    [ex](std::vector<task_id>& erased) {
      if (erased.empty())
        return ex->reply_error({ec::not_found, "task not found"});
      ex->reply_ok(count_body("deleted_count", erased.size()));
    },
    erase_atom::value, std::vector<task_id>{id});
}

void endpoints::stop(const exchange_ptr& ex, const path_param& p) {
  task_id id = 0;
  if (read_task_id(*ex, p, id))
    ask(
      ex, handles_.manager, [ex](task& t) { reply_task(*ex, t); },
      stop_atom::value, id);
}

void endpoints::retry(const exchange_ptr& ex, const path_param& p) {
  task_id id = 0;
  if (read_task_id(*ex, p, id))
    ask(
      ex, handles_.manager, [ex](task& t) { reply_task(*ex, t); },
      retry_atom::value, id);
}

void endpoints::show_log(const exchange_ptr& ex, const path_param& p) {
  task_id id = 0;
  if (!read_task_id(*ex, p, id))
    return;
  ask(
    ex, handles_.db,
    [ex](std::vector<log_line>& lines) {
      ex->reply_ok(success_body([&](json_writer& w) { write_log(w, lines); }));
    },
    log_atom::value, id);
}

} // namespace tmx

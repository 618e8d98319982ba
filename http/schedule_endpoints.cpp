// The schedule endpoints (see endpoints.hpp): create, list, detail,
// partial update, delete and run now. The schedule keeper owns the answer
// to each.
#include "http/endpoints.hpp"
#include "http/endpoints_ask.hpp"

#include "http/json.hpp"
#include "model/schedule_json.hpp"
#include "model/time.hpp"

namespace tmx {

namespace {

/// The schedule id of a path, or false once `ex` is answered with 40001.
bool read_schedule_id(exchange& ex, const path_param& p, uint64_t& id) {
  if (parse_schedule_id(p.raw, id))
    return true;
  ex.reply_error(invalid("id must be a positive integer"));
  return false;
}

std::string schedule_body(const schedule& s) {
  return success_body([&](json_writer& w) { write_schedule(w, s); });
}

} // namespace

void endpoints::list_schedules(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.schedules,
    [ex](std::vector<schedule>& all) {
      ex->reply_ok(list_body("schedules", all, write_schedule));
    },
    schedule_atom::value);
}

void endpoints::add_schedule(const exchange_ptr& ex, const path_param&) {
  schedule s;
  if (auto err = parse_schedule_request(ex->body(), now_millis(), s))
    return ex->reply_error(err);
  ask(
    ex, handles_.schedules,
    [ex](schedule& stored) { ex->reply_ok(schedule_body(stored)); },
    schedule_atom::value, std::move(s));
}

void endpoints::get_schedule(const exchange_ptr& ex, const path_param& p) {
  uint64_t id = 0;
  if (!read_schedule_id(*ex, p, id))
    return;
  ask(
    ex, handles_.schedules,
    [ex](schedule& s) { ex->reply_ok(schedule_body(s)); }, schedule_atom::value,
    id);
}

void endpoints::update_schedule(const exchange_ptr& ex, const path_param& p) {
  schedule_patch patch;
  if (!read_schedule_id(*ex, p, patch.id))
    return;
  if (auto err = parse_schedule_patch(ex->body(), now_millis(), patch))
    return ex->reply_error(err);
  ask(
    ex, handles_.schedules,
    [ex](schedule& s) { ex->reply_ok(schedule_body(s)); }, schedule_atom::value,
    update_atom::value, std::move(patch));
}

void endpoints::erase_schedule(const exchange_ptr& ex, const path_param& p) {
  uint64_t id = 0;
  if (!read_schedule_id(*ex, p, id))
    return;
  ask(
    ex, handles_.schedules,
    [ex](ok_atom) { ex->reply_ok(count_body("deleted_count", 1)); },
    schedule_atom::value, erase_atom::value, id);
}

void endpoints::run_schedule(const exchange_ptr& ex, const path_param& p) {
  uint64_t id = 0;
  if (!read_schedule_id(*ex, p, id))
    return;
  ask(
    ex, handles_.schedules,
    [ex](std::vector<task_id>& ids) { ex->reply_ok(created_body(ids)); },
    schedule_atom::value, run_atom::value, id);
}

} // namespace tmx

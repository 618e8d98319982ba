// The device group endpoints (see endpoints.hpp): create or replace, list,
// removal. The task manager owns the groups and knows the devices.
#include "http/endpoints.hpp"
#include "http/endpoints_ask.hpp"

#include "http/json.hpp"
#include "model/group_request.hpp"

namespace tmx {

namespace {

/// `{name, serials, created_at}`.
void write_group(json_writer& w, const device_group& g) {
  w.StartObject();
  put(w, "name", g.name);
  put_strings(w, "serials", g.serials);
  put_time(w, "created_at", g.created_at);
  w.EndObject();
}

} // namespace

void endpoints::list_groups(const exchange_ptr& ex, const path_param&) {
  ask(
    ex, handles_.manager,
    [ex](std::vector<device_group>& groups) {
      ex->reply_ok(list_body("groups", groups, write_group));
    },
    group_atom::value);
}

void endpoints::put_group(const exchange_ptr& ex, const path_param&) {
  device_group g;
  if (auto err = parse_group_request(ex->body(), g))
    return ex->reply_error(err);
  ask(
    ex, handles_.manager,
    [ex](device_group& stored) {
      ex->reply_ok(
        success_body([&](json_writer& w) { write_group(w, stored); }));
    },
    group_atom::value, std::move(g));
}

void endpoints::erase_group(const exchange_ptr& ex, const path_param& name) {
  if (!name.decoded)
    return ex->reply_error(invalid("name is not valid percent-encoding"));
  ask(
    ex, handles_.manager,
    [ex](ok_atom) { ex->reply_ok(count_body("deleted_count", 1)); },
    group_atom::value, erase_atom::value, *name.decoded);
}

} // namespace tmx

// Deterministic tests of device groups in the task manager on a real store:
// stored first (a refused write changes nothing), loaded at start-up,
// creates in group mode (union, order, multi-account), each device's
// groups (GET /device and its device.updated events), an unplugged member,
// deleted groups and their tasks.
#define BOOST_TEST_MODULE groups
#include "tests/actor_fixture.hpp"
#include "tests/failing_store.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace tmx;
using namespace tmx::test;
using namespace std::chrono_literals;

namespace {

using strings = std::vector<std::string>;

/// Three known devices, a manager whose store may refuse writes.
struct group_farm : farm {
  std::shared_ptr<store_faults> faults = std::make_shared<store_faults>();

  group_farm() : farm(3) {}

  void start() {
    store = spawn(failing_store, store, faults);
    start_manager();
  }

  caf::expected<device_group> put(const std::string& name,
                                  const strings& serials) {
    return request<device_group>(manager, group_atom::value,
                                 device_group{name, serials, 0});
  }

  device_group put_ok(const std::string& name, const strings& serials) {
    return unbox(put(name, serials));
  }

  std::vector<device_group> listed() {
    return unbox(
      request<std::vector<device_group>>(manager, group_atom::value));
  }

  std::vector<device_group> stored_groups() {
    std::vector<device_group> out;
    BOOST_REQUIRE(db->groups(out) == store_errc::ok);
    return out;
  }

  caf::expected<ok_atom> erase(const std::string& name) {
    return request<ok_atom>(manager, group_atom::value, erase_atom::value,
                            name);
  }

  caf::expected<std::vector<task_id>> create_in(const strings& groups,
                                                bool multi = false) {
    auto cmd = command_for("");
    cmd.req.serials.clear();
    cmd.req.groups = groups;
    cmd.req.multi_account = multi;
    return request<std::vector<task_id>>(manager, create_atom::value, cmd);
  }

  strings serials_of(const std::vector<task_id>& ids) {
    strings out;
    for (auto id : ids)
      out.push_back(stored(id).serial);
    return out;
  }

  /// The data of the last stored device.updated event of `serial`.
  std::string last_device_event(const std::string& serial) {
    std::vector<event> events;
    BOOST_REQUIRE(db->read_events(0, 10000, events) == store_errc::ok);
    std::string out;
    for (auto& e : events)
      if (e.type == event_type::device_updated
          && e.data.find("\"serial\":\"" + serial + "\"") != std::string::npos)
        out = e.data;
    return out;
  }
};

/// Whether a device object's JSON lists these groups (`["g"]`).
bool contains_groups(const std::string& device_json, const std::string& list) {
  return device_json.find("\"groups\":" + list) != std::string::npos;
}

strings names(const std::vector<device_group>& groups) {
  strings out;
  for (auto& g : groups)
    out.push_back(g.name);
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(groups, group_farm)

BOOST_AUTO_TEST_CASE(groups_are_stored_listed_and_replaced) {
  start();
  auto g = put_ok("shop-b", {"dev-2", "dev-1"});
  BOOST_TEST(g.name == "shop-b");
  BOOST_TEST(g.serials == (strings{"dev-2", "dev-1"}));
  BOOST_TEST(g.created_at == start_time);
  put_ok("shop-a", {"dev-3"});
  BOOST_TEST(names(listed()) == (strings{"shop-a", "shop-b"}));
  BOOST_TEST(names(stored_groups()) == (strings{"shop-a", "shop-b"}));
  BOOST_TEST(device("dev-1").groups == (strings{"shop-b"}));
  BOOST_TEST(device("dev-3").groups == (strings{"shop-a"}));
  // A replace takes the new serials and keeps when the group was created.
  advance(5s);
  g = put_ok("shop-b", {"dev-3"});
  BOOST_TEST(g.created_at == start_time);
  BOOST_TEST(stored_groups().at(1).serials == (strings{"dev-3"}));
  BOOST_TEST(device("dev-1").groups.empty());
  BOOST_TEST(device("dev-3").groups == (strings{"shop-a", "shop-b"}));
}

BOOST_AUTO_TEST_CASE(unknown_serials_are_named_and_nothing_is_stored) {
  start();
  auto err = error_of(put("g", {"dev-1", "nope", "zz"}));
  BOOST_TEST((err.code == ec::invalid_params));
  BOOST_TEST(err.message == "serials: unknown devices 'nope', 'zz'");
  err = error_of(put("g", {"x"}));
  BOOST_TEST(err.message == "serials: unknown device 'x'");
  BOOST_TEST(listed().empty());
  BOOST_TEST(stored_groups().empty());
}

BOOST_AUTO_TEST_CASE(a_refused_write_changes_nothing) {
  start();
  put_ok("g", {"dev-1"});
  faults->refused = {"group"};
  BOOST_TEST((error_of(put("g", {"dev-2"})).code == ec::internal));
  BOOST_TEST((error_of(put("h", {"dev-2"})).code == ec::internal));
  BOOST_TEST((error_of(erase("g")).code == ec::internal));
  BOOST_TEST(faults->refusals == 3u);
  auto all = listed();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].serials == (strings{"dev-1"}));
  BOOST_TEST(device("dev-1").groups == (strings{"g"}));
  BOOST_TEST(device("dev-2").groups.empty());
  BOOST_TEST(unbox(create_in({"g"})).size() == 1u);
  BOOST_TEST(names(stored_groups()) == (strings{"g"}));
}

BOOST_AUTO_TEST_CASE(group_mode_creates_over_the_union_once_per_serial) {
  start();
  put_ok("g1", {"dev-1", "dev-2"});
  put_ok("g2", {"dev-3", "dev-1"});
  auto ids = unbox(create_in({"g2", "g1"}));
  BOOST_TEST(serials_of(ids) == (strings{"dev-3", "dev-1", "dev-2"}));
  for (auto id : ids) {
    BOOST_TEST(stored(id).username.empty());
    BOOST_TEST(stored(id).source == "api");
  }
  // Multi-account: one task per enabled account of each serial.
  unbox(request<account>(manager, account_atom::value,
                         account{"u2", "dev-2", "tiktok", true}));
  unbox(request<account>(manager, account_atom::value,
                         account{"u1", "dev-1", "tiktok", true}));
  unbox(request<account>(manager, account_atom::value,
                         account{"u1b", "dev-1", "tiktok", true}));
  ids = unbox(create_in({"g1"}, true));
  BOOST_REQUIRE_EQUAL(ids.size(), 3u);
  BOOST_TEST(stored(ids[0]).username == "u1");
  BOOST_TEST(stored(ids[1]).username == "u1b");
  BOOST_TEST(stored(ids[2]).username == "u2");
  auto err = error_of(create_in({"g2"}, true));
  BOOST_TEST(err.message == "groups: device 'dev-3' has no enabled accounts");
}

BOOST_AUTO_TEST_CASE(an_unknown_group_creates_nothing) {
  start();
  put_ok("g1", {"dev-1"});
  auto err = error_of(create_in({"g1", "nope"}));
  BOOST_TEST((err.code == ec::invalid_params));
  BOOST_TEST(err.message == "groups: unknown group 'nope'");
  BOOST_TEST(db->counts().total == 0u);
  // No id was taken: the next create gets the first one.
  BOOST_TEST(unbox(create_in({"g1"})) == (std::vector<task_id>{1}));
}

BOOST_AUTO_TEST_CASE(deleting_a_group_leaves_its_tasks) {
  start();
  auto host = attach("node-a", "dev-1");
  put_ok("g", {"dev-1", "dev-2"});
  auto ids = unbox(create_in({"g"}));
  BOOST_REQUIRE_EQUAL(ids.size(), 2u);
  unbox(erase("g"));
  BOOST_TEST((error_of(erase("g")).code == ec::not_found));
  BOOST_TEST(listed().empty());
  BOOST_TEST(stored_groups().empty());
  BOOST_TEST(device("dev-1").groups.empty());
  BOOST_TEST(status_of(stored(ids[0])) == "running");
  BOOST_TEST(status_of(stored(ids[1])) == "pending");
  finish(host, ids[0], true);
  BOOST_TEST(status_of(stored(ids[0])) == "completed");
  BOOST_TEST(error_of(create_in({"g"})).message == "groups: unknown group 'g'");
}

BOOST_AUTO_TEST_CASE(an_unplugged_member_stays_and_its_tasks_wait) {
  start();
  auto host = attach("node-a", "dev-1");
  put_ok("g", {"dev-1"});
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1", "disconnected"));
  run();
  BOOST_TEST(device("dev-1").state == "offline");
  BOOST_TEST(listed().at(0).serials == (strings{"dev-1"}));
  BOOST_TEST(device("dev-1").groups == (strings{"g"}));
  auto id = unbox(create_in({"g"})).at(0);
  BOOST_TEST(status_of(stored(id)) == "pending");
  BOOST_TEST(device("dev-1").queued == 1u);
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1"));
  run();
  BOOST_TEST(status_of(stored(id)) == "running");
}

BOOST_AUTO_TEST_CASE(device_events_carry_the_groups) {
  start();
  attach("node-a", "dev-1");
  BOOST_TEST(contains_groups(last_device_event("dev-1"), "[]"));
  put_ok("g", {"dev-1", "dev-2"});
  BOOST_TEST(contains_groups(last_device_event("dev-1"), R"(["g"])"));
  // dev-2 has not been shown by a host since the start: no event yet.
  BOOST_TEST(last_device_event("dev-2").empty());
  BOOST_TEST(device("dev-2").groups == (strings{"g"}));
  // The same members again: nothing new to tell.
  auto events = [&] {
    std::vector<event> out;
    BOOST_REQUIRE(db->read_events(0, 10000, out) == store_errc::ok);
    return out.size();
  };
  auto before = events();
  put_ok("g", {"dev-1", "dev-2"});
  BOOST_TEST(events() == before);
}

BOOST_AUTO_TEST_CASE(groups_are_loaded_at_start_up) {
  BOOST_REQUIRE(db->put_group({"old", {"dev-2", "dev-1"}, 42})
                == store_errc::ok);
  start();
  auto all = listed();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].created_at == 42);
  BOOST_TEST(device("dev-1").groups == (strings{"old"}));
  BOOST_TEST(device("dev-3").groups.empty());
  BOOST_TEST(serials_of(unbox(create_in({"old"})))
             == (strings{"dev-2", "dev-1"}));
}

BOOST_AUTO_TEST_SUITE_END()

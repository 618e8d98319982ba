// Deterministic tests of the schedule keeper on the test coordinator, with
// the manager's clock injected: slots on weekdays and several times a day,
// catch-up inside and outside its window after a stop, a stop right after
// a firing, disabled schedules, edits and deletes while a slot waits, run
// now, and the checks a schedule's task body gets before it is stored.
#define BOOST_TEST_MODULE schedule_keeper
#include "tests/actor_fixture.hpp"
#include "tests/failing_store.hpp"

#include "actors/schedule_keeper.hpp"
#include "model/schedule_time.hpp"

#include <caf/exit_reason.hpp>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

using namespace tmx;
using namespace tmx::test;

namespace {

constexpr millis second = 1'000;
constexpr millis minute = 60 * second;

/// The fixture starts at 2023-11-14T22:13:20Z, a Tuesday.
const std::string post_on_dev1
  = R"({"serials":["dev-1"],"script_name":"post","script_config":{}})";

std::string schedule_body(const std::string& times,
                          const std::string& extra = "",
                          const std::string& task = post_on_dev1) {
  return R"({"name":"n","times":)" + times + R"(,"task":)" + task
         + (extra.empty() ? "" : "," + extra) + "}";
}

struct keeper_farm : farm {
  std::shared_ptr<store_faults> faults = std::make_shared<store_faults>();
  schedule_keeper_actor keeper;

  keeper_farm() : farm(2) {
    setenv("TZ", "UTC", 1);
    tzset();
    store = spawn(failing_store, store, faults);
    start_manager();
    start_keeper();
  }

  /// Spawns the keeper from the schedules stored now, as a start does.
  void start_keeper(millis catch_up = default_catch_up) {
    std::vector<schedule> stored;
    BOOST_REQUIRE(db->schedules(stored) == store_errc::ok);
    schedule_keeper_init init{stored, catch_up, [this] { return now(); }};
    keeper = spawn(schedule_keeper, store, manager, init);
    run();
  }

  /// Ends the keeper, as the end of the process would.
  void stop_keeper() {
    caf::anon_send_exit(keeper, caf::exit_reason::kill);
    run();
    keeper = schedule_keeper_actor{};
  }

  caf::expected<schedule> try_add(const std::string& body) {
    schedule s;
    auto err = parse_schedule_request(body, now(), s);
    BOOST_REQUIRE_MESSAGE(!err, err.message);
    return request<schedule>(keeper, schedule_atom::value, s);
  }

  schedule add(const std::string& body) { return unbox(try_add(body)); }

  caf::expected<schedule> patch(uint64_t id, const std::string& body) {
    schedule_patch p;
    p.id = id;
    auto err = parse_schedule_patch(body, now(), p);
    BOOST_REQUIRE_MESSAGE(!err, err.message);
    return request<schedule>(keeper, schedule_atom::value, update_atom::value,
                             p);
  }

  schedule held(uint64_t id) {
    return unbox(request<schedule>(keeper, schedule_atom::value, id));
  }

  schedule stored_schedule(uint64_t id) {
    std::vector<schedule> all;
    BOOST_REQUIRE(db->schedules(all) == store_errc::ok);
    for (auto& s : all)
      if (s.id == id)
        return s;
    BOOST_FAIL("schedule " << id << " is not stored");
    return {};
  }

  /// The tasks schedule `id` created, ascending id.
  std::vector<task> tasks_of(uint64_t id) {
    std::vector<task> out;
    db->for_each_task([&](const task& t) {
      if (t.schedule_id == id)
        out.push_back(t);
      return true;
    });
    return out;
  }

  void advance_to(millis at) {
    BOOST_REQUIRE_GE(at, now());
    advance(std::chrono::milliseconds(at - now()));
  }

  /// Today's (the fixture's day's) `hh`:`mm`, UTC.
  static millis today_at(int hh, int mm) {
    auto day = actor_fixture::start_time / (86'400 * second);
    return (day * 86'400 + hh * 3600 + mm * 60) * second;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(schedule_keeper_tests, keeper_farm)

BOOST_AUTO_TEST_CASE(fires_at_each_of_several_times_a_day) {
  auto s = add(schedule_body(R"(["22:20","22:15"])"));
  auto first = today_at(22, 15), second_slot = today_at(22, 20);
  BOOST_TEST(s.id == 1u);
  BOOST_TEST(s.next_run_at == first);
  BOOST_TEST(s.created_at == now());
  // One timer, for the earliest slot.
  BOOST_TEST(state_of<schedule_keeper_state>(keeper).tick_at == first);
  advance_to(first - 1);
  BOOST_TEST(tasks_of(s.id).empty());
  advance_to(first);
  auto made = tasks_of(s.id);
  BOOST_REQUIRE_EQUAL(made.size(), 1u);
  BOOST_TEST(made[0].source == "schedule");
  BOOST_TEST(made[0].serial == "dev-1");
  BOOST_TEST(made[0].created_at - first < second); // within a second
  auto after = held(s.id);
  BOOST_TEST(after.last_run_at == first);
  BOOST_TEST((after.last_task_ids == std::vector<task_id>{made[0].id}));
  BOOST_TEST(after.next_run_at == second_slot);
  // The record of the firing is stored (with its tasks).
  auto rec = stored_schedule(s.id);
  BOOST_TEST(rec.last_slot == first);
  BOOST_TEST((rec.last_task_ids == after.last_task_ids));
  advance_to(second_slot);
  BOOST_TEST(tasks_of(s.id).size() == 2u);
  BOOST_TEST(held(s.id).next_run_at == first + 86'400 * second);
  advance_to(first + 86'400 * second - 1);
  BOOST_TEST(tasks_of(s.id).size() == 2u); // nothing in between
  advance_to(first + 86'400 * second);
  BOOST_TEST(tasks_of(s.id).size() == 3u);
}

BOOST_AUTO_TEST_CASE(fires_on_its_weekdays_only) {
  // Wednesdays and Fridays at 09:00; it is Tuesday evening.
  auto s = add(schedule_body(R"(["09:00"])", R"("weekdays":[3,5])"));
  auto wednesday = today_at(9, 0) + 86'400 * second;
  BOOST_TEST(s.next_run_at == wednesday);
  BOOST_TEST(iso_weekday(local_day(wednesday)) == 3);
  advance_to(wednesday);
  BOOST_TEST(tasks_of(s.id).size() == 1u);
  BOOST_TEST(held(s.id).next_run_at == wednesday + 2 * 86'400 * second);
  advance_to(wednesday + 2 * 86'400 * second - minute);
  BOOST_TEST(tasks_of(s.id).size() == 1u); // Thursday: nothing
  advance_to(wednesday + 2 * 86'400 * second);
  BOOST_TEST(tasks_of(s.id).size() == 2u);
  BOOST_TEST(held(s.id).next_run_at == wednesday + 7 * 86'400 * second);
}

BOOST_AUTO_TEST_CASE(a_slot_missed_while_down_fires_once_at_start) {
  auto s = add(schedule_body(R"(["22:15"])"));
  stop_keeper();
  advance_to(today_at(22, 18)); // the server is down at 22:15
  BOOST_TEST(tasks_of(s.id).empty());
  start_keeper();
  auto made = tasks_of(s.id);
  BOOST_REQUIRE_EQUAL(made.size(), 1u);
  BOOST_TEST(made[0].created_at == today_at(22, 18));
  BOOST_TEST(stored_schedule(s.id).last_slot == today_at(22, 15));
  BOOST_TEST(held(s.id).next_run_at == today_at(22, 15) + 86'400 * second);
  // Another restart within the window: it has fired already.
  stop_keeper();
  advance_to(today_at(22, 19));
  start_keeper();
  BOOST_TEST(tasks_of(s.id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stop_right_after_a_firing_does_not_fire_it_again) {
  auto s = add(schedule_body(R"(["22:15"])"));
  advance_to(today_at(22, 15));
  BOOST_REQUIRE_EQUAL(tasks_of(s.id).size(), 1u);
  stop_keeper();
  advance_to(today_at(22, 15) + second);
  start_keeper();
  advance_to(today_at(22, 24));
  BOOST_TEST(tasks_of(s.id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_slot_missed_longer_than_catch_up_is_skipped) {
  auto s = add(schedule_body(R"(["22:15","22:30"])"));
  stop_keeper();
  advance_to(today_at(22, 25) + 1); // 10 min and 1 ms after 22:15
  start_keeper();
  BOOST_TEST(tasks_of(s.id).empty());
  BOOST_TEST(held(s.id).next_run_at == today_at(22, 30));
  advance_to(today_at(22, 30));
  BOOST_TEST(tasks_of(s.id).size() == 1u); // the next slot fires as usual
  // A longer window catches up what the default would skip; of several
  // missed slots only the latest fires.
  stop_keeper();
  advance_to(today_at(22, 30) + 86'400 * second + 20 * minute);
  start_keeper(30 * minute);
  auto made = tasks_of(s.id);
  BOOST_REQUIRE_EQUAL(made.size(), 2u);
  BOOST_TEST(stored_schedule(s.id).last_slot
             == today_at(22, 30) + 86'400 * second);
  // catch-up 0: never.
  stop_keeper();
  advance_to(today_at(22, 15) + 2 * 86'400 * second + second);
  start_keeper(0);
  BOOST_TEST(tasks_of(s.id).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_disabled_schedule_waits_until_enabled) {
  auto s = add(schedule_body(R"(["22:15","22:30"])", R"("enabled":false)"));
  BOOST_TEST(s.next_run_at == 0);
  advance_to(today_at(22, 16));
  BOOST_TEST(tasks_of(s.id).empty());
  auto on = unbox(patch(s.id, R"({"enabled":true})"));
  BOOST_TEST(on.next_run_at == today_at(22, 30)); // 22:15 is not owed
  BOOST_TEST(stored_schedule(s.id).armed_at == now());
  // Enabled, and down at 22:30: caught up once at the start.
  stop_keeper();
  advance_to(today_at(22, 31));
  start_keeper();
  BOOST_TEST(tasks_of(s.id).size() == 1u);
  unbox(patch(s.id, R"({"enabled":false})"));
  advance_to(today_at(22, 15) + 86'400 * second);
  BOOST_TEST(tasks_of(s.id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_edit_while_waiting_moves_the_next_firing) {
  auto s = add(schedule_body(R"(["22:40"])"));
  BOOST_TEST(s.next_run_at == today_at(22, 40));
  auto moved = unbox(patch(s.id, R"({"times":["22:20"],"name":"moved"})"));
  BOOST_TEST(moved.name == "moved");
  BOOST_TEST(moved.next_run_at == today_at(22, 20));
  // A new task body: the next firing creates those tasks.
  unbox(patch(s.id, R"({"task":{"serials":["dev-2","dev-1"],)"
                    R"("script_name":"post","script_config":{}}})"));
  BOOST_TEST(held(s.id).next_run_at == today_at(22, 20)); // times unchanged
  advance_to(today_at(22, 20));
  auto made = tasks_of(s.id);
  BOOST_REQUIRE_EQUAL(made.size(), 2u);
  BOOST_TEST(made[0].serial == "dev-2");
  advance_to(today_at(22, 45));
  BOOST_TEST(tasks_of(s.id).size() == 2u); // 22:40 is gone
  // Deleted while waiting: it never fires; its tasks stay.
  unbox(
    request<ok_atom>(keeper, schedule_atom::value, erase_atom::value, s.id));
  advance_to(today_at(22, 20) + 86'400 * second);
  BOOST_TEST(tasks_of(s.id).size() == 2u);
  BOOST_TEST(
    error_of(request<schedule>(keeper, schedule_atom::value, s.id)).code
    == ec::not_found);
  std::vector<schedule> left;
  BOOST_TEST((db->schedules(left) == store_errc::ok));
  BOOST_TEST(left.empty());
}

BOOST_AUTO_TEST_CASE(run_fires_now_and_keeps_the_slots) {
  auto s = add(schedule_body(R"(["22:15"])"));
  auto ids = unbox(request<std::vector<task_id>>(keeper, schedule_atom::value,
                                                 run_atom::value, s.id));
  BOOST_REQUIRE_EQUAL(ids.size(), 1u);
  BOOST_TEST(stored(ids[0]).schedule_id == s.id);
  auto after = held(s.id);
  BOOST_TEST(after.last_run_at == now());
  BOOST_TEST(after.last_slot == 0);
  BOOST_TEST(after.next_run_at == today_at(22, 15));
  advance_to(today_at(22, 15));
  BOOST_TEST(tasks_of(s.id).size() == 2u);
  auto none = request<std::vector<task_id>>(keeper, schedule_atom::value,
                                            run_atom::value, uint64_t{99});
  BOOST_TEST(error_of(none).code == ec::not_found);
}

BOOST_AUTO_TEST_CASE(a_task_body_is_checked_as_its_create_would_be) {
  auto unknown = try_add(schedule_body(
    R"(["22:15"])", "",
    R"({"serials":["dev-9"],"script_name":"post","script_config":{}})"));
  auto err = error_of(unknown);
  BOOST_TEST(err.code == ec::invalid_params);
  BOOST_TEST(err.message == "task.serials: unknown device 'dev-9'");
  auto no_account = try_add(schedule_body(
    R"(["22:15"])", "",
    R"({"usernames":["nobody"],"script_name":"post","script_config":{}})"));
  BOOST_TEST(error_of(no_account).message
             == "task.usernames: unknown account 'nobody'");
  auto s = add(schedule_body(R"(["22:15"])"));
  auto bad = patch(s.id, R"({"task":{"serials":["dev-7"],)"
                         R"("script_name":"post","script_config":{}}})");
  BOOST_TEST(error_of(bad).message == "task.serials: unknown device 'dev-7'");
  BOOST_TEST(stored_schedule(s.id).task == post_on_dev1); // unchanged
  BOOST_TEST(error_of(patch(42, "{}")).code == ec::not_found);
  BOOST_TEST(error_of(request<ok_atom>(keeper, schedule_atom::value,
                                       erase_atom::value, uint64_t{42}))
               .code
             == ec::not_found);
  BOOST_TEST(db->next_id() == 1u); // the dry runs took no ids
}

BOOST_AUTO_TEST_CASE(a_refused_firing_is_not_tried_again) {
  auto s = add(schedule_body(R"(["22:15","22:20"])"));
  faults->refused = {"create"};
  advance_to(today_at(22, 15));
  BOOST_TEST(faults->refusals == 1u);
  BOOST_TEST(tasks_of(s.id).empty());
  BOOST_TEST(stored_schedule(s.id).last_slot == 0); // nothing written
  faults->refused.clear();
  advance_to(today_at(22, 20));
  BOOST_TEST(tasks_of(s.id).size() == 1u);
  BOOST_TEST(faults->refusals == 1u);
  // A store that refuses the schedule itself: nothing is created.
  faults->refused = {"schedule"};
  auto refused = try_add(schedule_body(R"(["23:00"])"));
  BOOST_TEST(error_of(refused).code == ec::internal);
  BOOST_TEST(
    unbox(request<std::vector<schedule>>(keeper, schedule_atom::value)).size()
    == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

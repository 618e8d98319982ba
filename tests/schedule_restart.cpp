// Schedules against real tmx-server processes and the wall clock: a slot
// fires within a second of its time; a server killed (SIGKILL) right after
// a firing does not fire it again; one killed before the slot fires it
// exactly once when it comes back within schedule.catch-up, and skips it
// (and says so) when it comes back later than that.
#define BOOST_TEST_MODULE schedule_restart
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>
#include <thread>

using namespace tmx::test;

namespace {

constexpr int64_t minute_ms = 60 * 1000;

const options zone_and_devices{{"tmx.timezone", "UTC"},
                               {"sim.devices", "2"},
                               {"sim.task-duration", "300ms"}};

/// The tasks the schedules of `srv` created, newest first.
std::vector<rapidjson::Document> schedule_tasks(const server_process& srv) {
  auto r = srv.get("/api/v1/task?source=schedule&page_size=100");
  std::vector<rapidjson::Document> out;
  if (r.code() != 0)
    return out;
  for (auto& t : member(r.data(), "tasks").GetArray()) {
    out.emplace_back();
    out.back().CopyFrom(t, out.back().GetAllocator());
  }
  return out;
}

size_t fired(const server_process& srv) {
  return schedule_tasks(srv).size();
}

/// Waits (polling) until the wall clock reads `ms`.
void wait_for_clock(int64_t ms) {
  wait_until([&] { return now_ms() >= ms; },
             std::chrono::milliseconds(ms - now_ms() + 1000));
}

uint64_t add_schedule(const server_process& srv, const std::string& slot) {
  auto r = srv.post("/api/v1/schedule",
                    R"({"name":"restart","times":[")" + slot
                      + R"("],"task":{"serials":["sim-0001"],)"
                        R"("script_name":"post","script_config":{}}})");
  BOOST_REQUIRE_MESSAGE(r.code() == 0, "schedule not created: " + r.text);
  return id_of(member(r.data(), "id"));
}

} // namespace

BOOST_AUTO_TEST_CASE(slots_fire_at_most_once_across_kills) {
  // a: runs through the slot, killed right after its firing;
  // b: killed before the slot, back within the catch-up window;
  // c: killed before the slot, back with a catch-up shorter than its
  //    absence.
  server_process a(zone_and_devices), b(zone_and_devices), c(zone_and_devices);
  a.require_start();
  b.require_start();
  c.require_start();
  // The next whole minute at least 8 s away: time to set everything up.
  auto slot = (now_ms() + 8000 + minute_ms - 1) / minute_ms * minute_ms;
  auto hhmm = iso_at(slot).substr(11, 5);
  BOOST_TEST_MESSAGE("slot " << iso_at(slot));
  auto id = add_schedule(a, hhmm);
  BOOST_TEST(add_schedule(b, hhmm) == id);
  BOOST_TEST(add_schedule(c, hhmm) == id);
  auto next = a.get("/api/v1/schedule/" + std::to_string(id));
  BOOST_TEST(ms_of(member(next.data(), "next_run_at")) == slot);

  wait_for_clock(slot - 3000);
  b.kill();
  c.kill();
  BOOST_TEST(fired(a) == 0u);

  // a fires within a second of the slot.
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return fired(a) == 1; }, 5s),
                        "a did not fire; its log:\n" + a.log());
  auto made = schedule_tasks(a);
  auto created = ms_of(member(made[0], "created_at"));
  BOOST_TEST(created >= slot);
  BOOST_TEST(created < slot + 1000);
  BOOST_TEST(id_of(member(made[0], "schedule_id")) == id);
  auto task_id = id_of(member(made[0], "id"));
  // Killed right after the firing: the record of it was in the same batch.
  a.kill();
  a.require_start();
  auto rec = a.get("/api/v1/schedule/" + std::to_string(id));
  BOOST_TEST(ids_of(member(rec.data(), "last_task_ids")) == ids{task_id});
  // The keeper's time of the firing: at the slot, and no later than the
  // manager's clock when it created the tasks.
  auto last_run = ms_of(member(rec.data(), "last_run_at"));
  BOOST_TEST(last_run >= slot);
  BOOST_TEST(last_run <= created);
  BOOST_TEST(ms_of(member(rec.data(), "next_run_at"))
             == slot + 1440 * minute_ms);

  // b and c come back after the slot.
  wait_for_clock(slot + 2000);
  b.require_start();
  c.require_start({{"schedule.catch-up", "1s"}});
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return fired(b) == 1; }, 10s),
                        "b did not catch up; its log:\n" + b.log());
  auto caught = schedule_tasks(b);
  BOOST_TEST(ms_of(member(caught[0], "created_at")) >= slot + 2000);
  BOOST_TEST(b.log().find("missed while the server was down")
             != std::string::npos);
  BOOST_TEST(c.log().find("skipped") != std::string::npos);

  // Nothing fires again: not a, not b, never c.
  auto again = [&] { return fired(a) > 1 || fired(b) > 1 || fired(c) > 0; };
  BOOST_TEST(!wait_until(again, 3s));
  b.kill();
  b.require_start();
  BOOST_TEST(!wait_until(again, 2s));
  BOOST_TEST(fired(b) == 1u);
  auto b_rec = b.get("/api/v1/schedule/" + std::to_string(id));
  BOOST_TEST(ids_of(member(b_rec.data(), "last_task_ids"))
             == ids{id_of(member(caught[0], "id"))});
}

BOOST_AUTO_TEST_CASE(catch_up_option_is_checked) {
  for (auto bad : {"-1s", "10x", "8d", "169h", "abc"}) {
    server_process srv(zone_and_devices);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(!srv.start({{"schedule.catch-up", bad}}, 10s));
      BOOST_TEST(srv.log().find("schedule.catch-up") != std::string::npos,
                 srv.log());
    }
  }
  for (auto good : {"10m", "0", "0s", "90s", "2h", "500ms", "15min"}) {
    server_process srv(zone_and_devices);
    BOOST_TEST_CONTEXT(good) {
      BOOST_TEST(srv.start({{"schedule.catch-up", good}}), srv.log());
    }
  }
}

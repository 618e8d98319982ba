// storage.retention end to end: a real server deletes the completed and
// failed tasks older than the retention period in the background and keeps
// the rest; the counts stay exact, tmxctl db info says how many went and
// db check finds the store sound; a bad value stops the server at start.
#include "tests/tmxctl/fixtures.hpp"

using namespace tmx::test;

BOOST_AUTO_TEST_CASE(retention_deletes_old_finished_tasks_only) {
  live_server srv({{"storage.retention", "2s"}, {"sim.task-duration", "20ms"}});
  auto kept = srv.create({"sim-0001", "sim-0002"}, later);
  auto done = srv.create({"sim-0001", "sim-0002", "sim-0003", "sim-0004"});
  auto stopped = srv.create({"sim-0003"}, later);
  BOOST_REQUIRE(srv.post("/api/v1" + path_of(stopped[0], "stop"), "").code()
                == 0);
  // Each is seen finished before it is old enough to go.
  srv.require_status(done, 2);
  BOOST_TEST(srv.status_of(stopped[0]) == 3);
  BOOST_REQUIRE(wait_until(
    [&] { return int_of(member(srv.api("/task/stats"), "total")) == 2; },
    30s));
  auto stats = srv.api("/task/stats");
  BOOST_TEST(int_of(member(stats, "pending")) == 2);
  BOOST_TEST(int_of(member(stats, "completed")) == 0);
  BOOST_TEST(int_of(member(stats, "failed")) == 0);
  for (auto id : done)
    BOOST_TEST(srv.get("/api/v1" + path_of(id)).code() == 40401);
  for (auto id : kept)
    BOOST_TEST(srv.status_of(id) == 0);
  auto list = srv.api("/task?status=2");
  BOOST_TEST(int_of(member(list, "total")) == 0);
  BOOST_REQUIRE_EQUAL(srv.terminate(), 0);

  auto data = srv.data_dir().string();
  auto info = tmxctl({"db", "info", "--data", data, "--json"});
  BOOST_REQUIRE(info.exit == 0);
  BOOST_TEST(int_of(member(info.json(), "expired")) == 5);
  auto table = tmxctl({"db", "info", "--data", data});
  BOOST_TEST(table.line_with("retention")
             == "retention       5 finished tasks deleted");
  auto check = tmxctl({"db", "check", "--data", data});
  BOOST_TEST(check.exit == 0, check.out << check.err);
}

BOOST_AUTO_TEST_CASE(a_bad_retention_stops_the_server_at_start) {
  for (const char* bad : {"soon", "-1s", "500ms", "5y"}) {
    server_process srv(base_options);
    BOOST_TEST(!srv.start({{"storage.retention", bad}}, 10s), bad);
    BOOST_TEST(contains(srv.log(), "option storage.retention must be"),
               srv.log());
  }
  server_process srv(base_options);
  BOOST_TEST(srv.start({{"storage.retention", "30d"}}));
}

// tmxctl schedules (table and --json) and tasks --source schedule, against
// a real server.
#include "tests/tmxctl/fixtures.hpp"

#include <string>

using namespace tmx::test;

namespace {

uint64_t put_schedule(const live_server& srv, const std::string& members) {
  auto r = srv.post("/api/v1/schedule",
                    "{" + members
                      + R"(,"task":{"serials":["sim-0001","sim-0002"],)"
                        R"("script_name":"post","script_config":{}}})");
  BOOST_REQUIRE_MESSAGE(r.code() == 0, r.text);
  return id_of(member(r.data(), "id"));
}

} // namespace

BOOST_FIXTURE_TEST_CASE(schedules_table_and_json, live_server) {
  auto none = ctl({"schedules"});
  BOOST_TEST(none.exit == 0, none.err);
  BOOST_TEST(none.out == "no schedules\n");

  auto daily = put_schedule(
    *this,
    R"("name":"daily posts","weekdays":[1,2,3,4,5],"times":["18:30","9:00"])");
  put_schedule(*this, R"("name":"weekend","weekdays":[6,7],"times":["10:00"],)"
                      R"("enabled":false)");
  auto run = post("/api/v1/schedule/" + std::to_string(daily) + "/run");
  BOOST_REQUIRE_MESSAGE(run.code() == 0, run.text);

  auto r = ctl({"schedules"});
  BOOST_TEST(r.exit == 0, r.err);
  auto lines = r.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 3u); // header and a row per schedule
  for (auto head : {"ID", "NAME", "ENABLED", "WEEKDAYS", "TIMES", "NEXT RUN",
                    "LAST RUN", "LAST TASKS"})
    BOOST_TEST(contains(lines[0], head), head);
  BOOST_TEST(contains(lines[1], "daily posts"), lines[1]);
  BOOST_TEST(contains(lines[1], " yes "), lines[1]);
  BOOST_TEST(contains(lines[1], "Mon Tue Wed Thu Fri"), lines[1]);
  BOOST_TEST(contains(lines[1], "09:00, 18:30"), lines[1]);
  BOOST_TEST(contains(lines[1], "1-2 (2)"), lines[1]);
  auto next = text_of(
    member(api("/schedule/" + std::to_string(daily)), "next_run_at"));
  BOOST_TEST(contains(lines[1], next.substr(0, 10) + " " + next.substr(11, 8)),
             lines[1]);
  BOOST_TEST(contains(lines[2], "weekend"), lines[2]);
  BOOST_TEST(contains(lines[2], " no "), lines[2]);
  BOOST_TEST(contains(lines[2], "Sat Sun"), lines[2]);

  auto j = ctl({"schedules", "--json"});
  BOOST_TEST(j.exit == 0, j.err);
  check_same_json(j.json(), api("/schedule"));

  auto tasks = ctl({"tasks", "--source", "schedule"});
  BOOST_TEST(tasks.exit == 0, tasks.err);
  BOOST_TEST(contains(tasks.out, "tasks 1-2 of 2"), tasks.out);
}

// Black-box tests of the HTTP API (CONTRACT.md) against a real tmx-server
// process: every endpoint, every error code, options and SIGTERM. This
// file holds the envelope, the license, the routes and the process; the
// other areas are in tests/http/ (one suite, shared fixtures).
#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <fstream>
#include <string>
#include <tuple>
#include <vector>

using namespace tmx::test;

// -- envelope, license -------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(license_check_on_pro, api_server) {
  auto r = get("/api/v1/license/check");
  check_ok(r);
  BOOST_TEST(text_of(member(r.data(), "plan_name")) == "Pro");
  BOOST_TEST(member(r.data(), "api_enabled").IsTrue());
  BOOST_TEST(int_of(member(r.data(), "device_limit")) == 0);
  BOOST_TEST(text_of(member(r.data(), "message")) == "API access enabled");
}

BOOST_AUTO_TEST_CASE(license_check_shows_plan_and_device_limit) {
  api_server srv(
    options{{"license.plan", "Team"}, {"license.device-limit", "3"}});
  auto r = srv.get("/api/v1/license/check");
  check_ok(r);
  BOOST_TEST(text_of(member(r.data(), "plan_name")) == "Team");
  BOOST_TEST(int_of(member(r.data(), "device_limit")) == 3);
}

BOOST_AUTO_TEST_CASE(starter_plan_refuses_every_endpoint) {
  api_server srv(options{{"license.plan", "Starter"}});
  auto valid = task_body(serials({"sim-0001"}));
  std::vector<error_case> cases;
  for (auto [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
         {"GET", "/api/v1/license/check", ""},
         {"GET", "/api/v1/task", ""},
         {"POST", "/api/v1/task", valid},
         {"GET", "/api/v1/task/1", ""},
         {"DELETE", "/api/v1/task/1", ""},
         {"DELETE", "/api/v1/task/batch", batch_body({1})},
         {"POST", "/api/v1/task/1/stop", ""},
         {"POST", "/api/v1/task/1/retry", ""},
         {"POST", "/api/v1/task/retry-all", ""},
         {"GET", "/api/v1/task/stats", ""},
         {"GET", "/api/v1/device", ""},
         {"GET", "/api/v1/account", ""},
         {"GET", "/api/v1/node", ""},
         {"GET", "/api/v1/task/1/log", ""},
       })
    cases.push_back({method, path, body, 403, 40301, ""});
  check_errors(srv, cases);
}

// -- routes -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(routes_and_task_ids, api_server) {
  auto wrong_method = [](const char* method, const char* path) {
    return error_case{method, path, "", 405, 40001, ""};
  };
  auto no_route = [](const char* method, const char* path) {
    return error_case{method, path, "", 404, 40401, ""};
  };
  auto bad_id = [](const char* method, const char* path) {
    return error_case{method, path, "", 400, 40001, "task_id"};
  };
  check_errors(*this, {
                        wrong_method("PUT", "/api/v1/task"),
                        wrong_method("DELETE", "/api/v1/task"),
                        wrong_method("GET", "/api/v1/task/batch"),
                        wrong_method("POST", "/api/v1/task/batch"),
                        wrong_method("POST", "/api/v1/task/stats"),
                        wrong_method("DELETE", "/api/v1/task/stats"),
                        wrong_method("GET", "/api/v1/task/retry-all"),
                        wrong_method("POST", "/api/v1/license/check"),
                        wrong_method("DELETE", "/api/v1/device"),
                        wrong_method("PUT", "/api/v1/task/1"),
                        wrong_method("POST", "/api/v1/task/1"),
                        wrong_method("GET", "/api/v1/task/1/stop"),
                        wrong_method("DELETE", "/api/v1/task/1/retry"),
                        no_route("GET", "/api/v1/nothing"),
                        no_route("GET", "/nothing"),
                        no_route("GET", "/api/v2/task"),
                        no_route("GET", "/api/v1/task/1/nothing"),
                        no_route("GET", "/api/v1/task/999999"),
                        no_route("DELETE", "/api/v1/task/999999"),
                        no_route("POST", "/api/v1/task/999999/stop"),
                        no_route("POST", "/api/v1/task/999999/retry"),
                        bad_id("GET", "/api/v1/task/abc"),
                        bad_id("GET", "/api/v1/task/12abc"),
                        bad_id("DELETE", "/api/v1/task/abc"),
                        bad_id("POST", "/api/v1/task/abc/stop"),
                        bad_id("POST", "/api/v1/task/abc/retry"),
                      });
}

// -- process ------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(sigterm_keeps_every_task, mixed_tasks) {
  // The newest id is deleted: a restart must not hand it out again.
  check_ok(del(task_path(c1)));
  auto before = to_json(all_tasks().data());
  auto stats = to_json(stats_matching_list(*this).data());
  BOOST_TEST(terminate() == 0);
  require_start();
  BOOST_TEST(to_json(all_tasks().data()) == before);
  BOOST_TEST(to_json(stats_matching_list(*this).data()) == stats);
  BOOST_TEST(create_one(*this, task_body(serials({"sim-0001"}))) > c1);
}

BOOST_AUTO_TEST_CASE(timezone_option_sets_the_offset) {
  // Asia/Kolkata: +05:30 all year, unlike the zone the tests run in.
  api_server srv(options{{"tmx.timezone", "Asia/Kolkata"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"}), "post", "{}",
                                      R"("start_time":"23:59")"));
  auto t = task_of(srv, id);
  auto created = text_of(member(t.data(), "created_at"));
  auto due = text_of(member(t.data(), "scheduled_at"));
  BOOST_TEST(created.substr(created.size() - 6) == "+05:30");
  BOOST_TEST(due.find("T23:59:00.000+05:30") != std::string::npos, due);
}

BOOST_AUTO_TEST_CASE(bad_options_stop_the_server) {
  struct option_case {
    std::string key;
    std::string value;
    std::string config_file; // when set: the options come from this file
    options more = {};       // given with key=value
  };
  std::vector<option_case> cases{
    {"sim.failure-rate", "2", ""},
    {"http.port", "0", ""},
    {"license.plan", "Gold", ""},
    {"sim.task-duration", "abc", ""},
    {"sim.devices", "-1", ""},
    {"http.port", "", "[http]\nport=\"abc\"\n"},
    {"tmx.timezone", "Nowhere/City", ""},
    {"tmx.timezone", "../zoneinfo/UTC", ""},
    {"retry.max-auto", "-1", ""},
    {"retry.delay-min", "abc", ""},
    {"retry.delay-min", "2s", "", {{"retry.delay-max", "1s"}}},
    {"runner.timeout-scale", "0", ""},
    {"license.device-limit", "-1", ""},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.key << '=' << c.value << c.config_file) {
      server_process srv(base_options);
      auto extra = merged({{c.key, c.value}}, c.more);
      if (!c.config_file.empty()) {
        auto path = srv.dir() / "bad.ini";
        std::ofstream(path) << c.config_file;
        // No port on the command line, which would win over the file; and
        // should the server ignore the file, it must not take the default
        // port of a real server on 127.0.0.1.
        extra = {{"config-file", path.string()},
                 {"http.port", ""},
                 {"http.address", "127.0.0.2"}};
      }
      srv.launch(extra);
      auto status = srv.wait_exit(10s);
      BOOST_TEST(status.has_value(), "still running after 10 s");
      BOOST_TEST(status.value_or(0) != 0);
      auto log = srv.log();
      BOOST_TEST(log.find(c.key) != std::string::npos, "log: " << log);
    }
}

BOOST_FIXTURE_TEST_CASE(occupied_port_stops_the_server, api_server) {
  server_process second(base_options);
  second.launch({{"http.port", std::to_string(port())}});
  auto status = second.wait_exit(10s);
  BOOST_TEST(status.has_value(), "still running after 10 s");
  BOOST_TEST(status.value_or(0) != 0);
  BOOST_TEST(second.log().find(std::to_string(port())) != std::string::npos,
             "log: " << second.log());
  BOOST_TEST(answers());
}

// HTTP API tests of runs: devices and their running tasks, the device
// limit, task logs, automatic retries and timeouts.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace tmx::test;

// -- devices and running tasks ------------------------------------------------

BOOST_AUTO_TEST_CASE(device_limit_caps_running_devices) {
  api_server srv(options{{"license.device-limit", "1"}});
  auto made = create(
    srv, task_body(serials({"sim-0001", "sim-0002", "sim-0003", "sim-0004"})));
  BOOST_REQUIRE(completes(srv, 4));
  // With one device at a time the runs cannot overlap. (Same offset in
  // every time stamp, so text order is time order.)
  std::vector<std::pair<std::string, std::string>> runs;
  for (auto id : made) {
    auto t = task_of(srv, id);
    runs.emplace_back(text_of(member(t.data(), "started_at")),
                      text_of(member(t.data(), "finished_at")));
  }
  std::sort(runs.begin(), runs.end());
  for (size_t i = 1; i < runs.size(); ++i)
    BOOST_TEST(runs[i].first >= runs[i - 1].second,
               "run " << i << " started at " << runs[i].first << " before run "
                      << i - 1 << " ended at " << runs[i - 1].second);
}

BOOST_AUTO_TEST_CASE(devices_and_running_tasks) {
  api_server srv(options{{"sim.task-duration", "60s"}});
  BOOST_REQUIRE(wait_until(
    [&] {
      auto r = srv.get("/api/v1/device");
      auto& devs = member(r.data(), "devices");
      return devs.IsArray() && devs.Size() == 4
             && std::all_of(devs.Begin(), devs.End(), [](auto& d) {
                  return text_of(member(d, "state")) == "online";
                });
    },
    15s));
  auto r = srv.get("/api/v1/device");
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 1u);
  int n = 0;
  for (auto& d : member(r.data(), "devices").GetArray()) {
    check_fields(d, {{"serial", string_json},
                     {"node", string_json | null_json},
                     {"state", string_json},
                     {"running_task_id", null_json},
                     {"queued", int_json},
                     {"accounts", array_json}});
    auto serial = "sim-000" + std::to_string(++n);
    BOOST_TEST(text_of(member(d, "serial")) == serial);
    BOOST_TEST(int_of(member(d, "queued")) == 0);
    std::set<std::string> accounts;
    for (auto& a : member(d, "accounts").GetArray())
      accounts.insert(text_of(a));
    BOOST_TEST(
      (accounts == std::set<std::string>{serial + "-a", serial + "-b"}));
  }
  auto body = task_body(serials({"sim-0001"}));
  auto first = create_one(srv, body);
  auto second = create_one(srv, body);
  BOOST_REQUIRE(reaches(srv, first, 1));
  BOOST_REQUIRE(
    wait_until([&] { return device_is(srv, "sim-0001", "busy", first); }, 15s));
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued")) == 1);
  auto running = task_of(srv, first);
  BOOST_TEST(is_time(member(running.data(), "started_at")));
  BOOST_TEST(member(running.data(), "finished_at").IsNull());
  BOOST_TEST(member(running.data(), "duration_s").IsNumber());
  BOOST_TEST(member(running.data(), "node").IsString());
  auto stats = stats_matching_list(srv);
  BOOST_TEST(count(stats, "running") == 1);
  BOOST_TEST(count(stats, "pending") == 1);
  check_error(action(srv, first, "retry"), 409, 40901);
  check_error(action(srv, second, "retry"), 409, 40901);
  // Stop of a running task, twice.
  auto stopped = acted(srv, first, "stop");
  BOOST_TEST(int_of(member(stopped.data(), "status")) == 3);
  BOOST_TEST(text_of(member(stopped.data(), "remark")) == "stopped by user");
  BOOST_TEST(is_time(member(stopped.data(), "finished_at")));
  BOOST_TEST(to_json(acted(srv, first, "stop").data())
             == to_json(stopped.data()));
  // The next one runs; delete ends its run.
  BOOST_REQUIRE(reaches(srv, second, 1));
  BOOST_REQUIRE(wait_until(
    [&] { return device_is(srv, "sim-0001", "busy", second); }, 15s));
  auto gone = srv.del(task_path(second));
  check_ok(gone);
  BOOST_TEST(count(gone, "deleted_count") == 1);
  check_error(srv.get(task_path(second)), 404, 40401);
  BOOST_TEST(
    wait_until([&] { return device_is(srv, "sim-0001", "online", 0); }, 15s));
  BOOST_TEST(count(stats_matching_list(srv), "total") == 1);
}

// -- task log -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(task_log_of_the_last_run) {
  struct log_case {
    std::string failure_rate;
    int status;
    std::string last_line;
  };
  for (auto& c : {log_case{"0", 2, "completed"},
                  log_case{"1", 3, "failed: simulated failure"}})
    BOOST_TEST_CONTEXT("sim.failure-rate " << c.failure_rate) {
      api_server srv(options{{"sim.failure-rate", c.failure_rate}});
      auto id = create_one(srv, task_body(usernames({"sim-0001-a"})));
      BOOST_REQUIRE(reaches(srv, id, c.status));
      auto t = task_of(srv, id);
      auto lines = run_log_of(srv, id);
      BOOST_TEST(lines.size() >= 2u);
      BOOST_TEST(starts_with(lines.front().text,
                             "started on device sim-0001 as sim-0001-a"),
                 lines.front().text);
      BOOST_TEST(lines.back().text == c.last_line);
      BOOST_TEST(lines.front().at == ms_of(t, "started_at"));
      BOOST_TEST(lines.back().at == ms_of(t, "finished_at"));
      for (size_t i = 1; i < lines.size(); ++i)
        BOOST_TEST(lines[i - 1].at <= lines[i].at, "line " << i);
      // The offset of the server's zone, as in every time stamp.
      auto started = text_of(member(t.data(), "started_at"));
      for (auto& line : lines)
        BOOST_TEST(line.at_text.substr(23) == started.substr(23));
    }
}

BOOST_AUTO_TEST_CASE(task_log_of_a_run_ended_early) {
  struct end_case {
    std::string how;
    std::string remark;
  };
  for (auto& c : {end_case{"stop", "stopped by user"},
                  end_case{"restart", "interrupted by server restart"}})
    BOOST_TEST_CONTEXT("ended by " << c.how) {
      api_server srv(options{{"sim.task-duration", "60s"}});
      auto id = create_one(srv, task_body(serials({"sim-0001"})));
      BOOST_REQUIRE(reaches(srv, id, 1));
      // The start line is written when the run starts.
      auto lines = run_log_of(srv, id);
      BOOST_TEST(starts_with(lines.front().text, "started on device sim-0001"),
                 lines.front().text);
      if (c.how == "stop") {
        acted(srv, id, "stop");
      } else {
        srv.kill();
        srv.require_start();
      }
      auto t = task_of(srv, id);
      BOOST_TEST(int_of(member(t.data(), "status")) == 3);
      BOOST_TEST(text_of(member(t.data(), "remark")) == c.remark);
      lines = run_log_of(srv, id);
      BOOST_TEST(lines.front().at == ms_of(t, "started_at"));
      BOOST_TEST(lines.back().text == "failed: " + c.remark);
      BOOST_TEST(lines.back().at == ms_of(t, "finished_at"));
    }
}

BOOST_FIXTURE_TEST_CASE(task_log_without_a_run, api_server) {
  auto body = task_body(serials({"sim-0001"}), "post", "{}", later);
  auto waiting = create_one(*this, body);
  auto stopped = create_one(*this, body);
  acted(*this, stopped, "stop");
  for (auto id : {waiting, stopped})
    BOOST_TEST_CONTEXT("task " << id) {
      BOOST_TEST(log_of(*this, id).empty());
    }
  check_ok(del(task_path(waiting)));
  check_errors(*this,
               {
                 {"GET", task_path(waiting, "log"), "", 404, 40401, ""},
                 {"GET", "/api/v1/task/999999/log", "", 404, 40401, ""},
                 {"GET", "/api/v1/task/abc/log", "", 400, 40001, "task_id"},
                 {"GET", "/api/v1/task/0/log", "", 400, 40001, "task_id"},
                 {"POST", task_path(stopped, "log"), "", 405, 40001, ""},
                 {"DELETE", task_path(stopped, "log"), "", 405, 40001, ""},
               });
}

// -- retries and timeouts -----------------------------------------------------

BOOST_AUTO_TEST_CASE(failed_runs_are_retried_automatically) {
  api_server srv(options{{"sim.failure-rate", "1"},
                         {"retry.max-auto", "2"},
                         {"retry.delay-min", "100ms"},
                         {"retry.delay-max", "200ms"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"})));
  // Every state seen on the way: between runs the task waits, pending,
  // with its error and the time of its next run.
  int waits_seen = 0;
  auto done = task_when(srv, id, [&](auto& t) {
    auto retries = int_of(member(t, "retry_count"));
    auto status = int_of(member(t, "status"));
    BOOST_TEST(retries <= 2);
    if (retries > 0 && status != 3) {
      BOOST_TEST(text_of(member(t, "remark")) == "simulated failure");
    }
    if (retries > 0 && status == 0) { // due 100-200 ms after the failure
      ++waits_seen;
      auto delay = ms_of(member(t, "scheduled_at"))
                   - ms_of(member(t, "finished_at"));
      BOOST_TEST((delay >= 100 && delay <= 200), "delay " << delay << " ms");
    }
    return status == 3 && retries == 2;
  });
  BOOST_WARN_MESSAGE(waits_seen > 0, "no wait between runs was seen");
  BOOST_TEST(text_of(member(done.data(), "remark")) == "simulated failure");
  BOOST_TEST(run_log_of(srv, id).back().text == "failed: simulated failure");
  // Out of automatic retries; a manual one is still allowed.
  auto retried = acted(srv, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "status")) == 0);
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 3);
  auto started = text_of(member(done.data(), "started_at"));
  auto again = task_when(srv, id, [&](auto& t) {
    return int_of(member(t, "status")) == 3
           && text_of(member(t, "started_at")) != started;
  });
  BOOST_TEST(int_of(member(again.data(), "retry_count")) == 3);
  BOOST_TEST(text_of(member(again.data(), "remark")) == "simulated failure");
  // The log holds the last run only.
  auto lines = run_log_of(srv, id);
  BOOST_TEST(lines.front().at == ms_of(again, "started_at"));
  BOOST_TEST(lines.back().text == "failed: simulated failure");
  BOOST_TEST(std::count_if(lines.begin(), lines.end(),
                           [](auto& line) {
                             return starts_with(line.text, "started on");
                           })
             == 1);
}

BOOST_AUTO_TEST_CASE(runs_longer_than_the_timeout_fail) {
  api_server srv(
    options{{"runner.timeout-scale", "0.001"}, {"sim.task-duration", "2s"}});
  struct timeout_case {
    std::string serial;
    std::string script;
    std::string config;
    double timeout_s; // the script's timeout x 0.001
  };
  std::vector<timeout_case> cases{
    {"sim-0001", "post", R"({"upload_wait_time":0,"sound_wait_time":0})", 0.3},
    {"sim-0002", "post", "{}", 0.34}, // 30 + 10 + 300 s
    {"sim-0003", "account_warmup", R"({"task_duration":0})", 0.12},
    {"sim-0004", "follow", R"({"target_users":["x"]})", 0.6},
  };
  std::vector<uint64_t> made;
  for (auto& c : cases)
    made.push_back(
      create_one(srv, task_body(serials({c.serial}), c.script, c.config)));
  for (size_t i = 0; i < cases.size(); ++i)
    BOOST_TEST_CONTEXT(cases[i].script << ' ' << cases[i].config) {
      auto& c = cases[i];
      BOOST_REQUIRE(reaches(srv, made[i], 3));
      auto t = task_of(srv, made[i]);
      std::ostringstream remark;
      remark << "timeout after " << c.timeout_s << " s";
      BOOST_TEST(text_of(member(t.data(), "remark")) == remark.str());
      auto& took = member(t.data(), "duration_s");
      auto duration = took.IsNumber() ? took.GetDouble() : -1;
      BOOST_TEST(duration >= c.timeout_s - 0.01);
      BOOST_TEST(duration < c.timeout_s + 0.7); // the run itself takes 2 s
      BOOST_TEST(int_of(member(t.data(), "retry_count")) == 0);
      BOOST_TEST(run_log_of(srv, made[i]).back().text
                 == "failed: " + remark.str());
    }
}

BOOST_AUTO_TEST_CASE(stops_and_restarts_are_not_retried_automatically) {
  api_server srv(options{{"retry.max-auto", "1"},
                         {"retry.delay-min", "100ms"},
                         {"retry.delay-max", "100ms"},
                         {"runner.timeout-scale", "0.001"},
                         {"sim.task-duration", "60s"}});
  // (100000 + 120 s) x 0.001: a run of 100 s
  auto long_run = R"({"task_duration":100000})";
  auto interrupted = create_one(srv, task_body(serials({"sim-0003"}),
                                               "account_warmup", long_run));
  BOOST_REQUIRE(reaches(srv, interrupted, 1));
  srv.kill();
  srv.require_start();
  auto stopped = create_one(srv, task_body(serials({"sim-0002"}),
                                           "account_warmup", long_run));
  BOOST_REQUIRE(reaches(srv, stopped, 1));
  acted(srv, stopped, "stop");
  // A timeout is retried once, 100 ms later, and times out again: time
  // enough for the others to have been retried, were they.
  auto timed_out = create_one(
    srv, task_body(serials({"sim-0001"}), "post",
                   R"({"upload_wait_time":0,"sound_wait_time":0})"));
  auto t = task_when(srv, timed_out, [](auto& t) {
    return int_of(member(t, "status")) == 3
           && int_of(member(t, "retry_count")) == 1;
  });
  BOOST_TEST(text_of(member(t.data(), "remark")) == "timeout after 0.3 s");
  for (auto [id, remark] :
       {std::pair{interrupted, "interrupted by server restart"},
        std::pair{stopped, "stopped by user"}})
    BOOST_TEST_CONTEXT("task " << id) {
      auto r = task_of(srv, id);
      BOOST_TEST(int_of(member(r.data(), "status")) == 3);
      BOOST_TEST(int_of(member(r.data(), "retry_count")) == 0);
      BOOST_TEST(text_of(member(r.data(), "remark")) == remark);
    }
}

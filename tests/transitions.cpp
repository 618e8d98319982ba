// Unit tests of the pure task transitions (model/transitions.hpp) and of
// the create plan (model/task_plan.hpp).
#define BOOST_TEST_MODULE transitions
#include <boost/test/unit_test.hpp>

#include "model/task_plan.hpp"
#include "model/transitions.hpp"

#include <set>

using namespace tmx;

namespace {

constexpr millis now = 1'700'000'000'000;

task pending_on(const std::string& serial) {
  task t;
  t.id = 7;
  t.serial = serial;
  t.script_name = "post";
  t.script_config = "{}";
  t.queue_seq = 3;
  return t;
}

} // namespace

BOOST_AUTO_TEST_CASE(stop_fails_a_task_and_ends_a_run) {
  auto pending = pending_on("s1");
  auto t = stopped(pending, now);
  BOOST_TEST((t.status == task_status::failed));
  BOOST_TEST(t.remark == "stopped by user");
  BOOST_TEST(t.finished_at == 0); // it never ran
  auto running = started(pending, "node-a", now - 5000);
  t = stopped(running, now);
  BOOST_TEST(t.finished_at == now);
  BOOST_TEST(t.started_at == now - 5000);
  BOOST_TEST(end_log(t).append);
  BOOST_TEST(end_log(t).lines.at(0).text == "failed: stopped by user");
}

BOOST_AUTO_TEST_CASE(start_begins_a_new_run) {
  auto before = pending_on("s1");
  before.finished_at = now - 100;
  before.exit_code = 3;
  auto t = started(before, "node-a", now);
  BOOST_TEST((t.status == task_status::running));
  BOOST_TEST(t.started_at == now);
  BOOST_TEST(t.finished_at == 0);
  BOOST_TEST(t.exit_code == no_exit_code);
  BOOST_TEST(t.node == "node-a");
  auto log = start_log(t);
  BOOST_TEST(!log.append);
  BOOST_TEST(log.lines.at(0).text == "started on device s1 (node node-a)");
}

BOOST_AUTO_TEST_CASE(retry_queues_a_failed_task_at_the_back) {
  auto failed = stopped(pending_on("s1"), now);
  failed.scheduled_at = now - 60'000; // its start time passed
  auto t = retried(failed, 42, now);
  BOOST_TEST((t.status == task_status::pending));
  BOOST_TEST(t.retry_count == 1u);
  BOOST_TEST(t.remark.empty());
  BOOST_TEST(t.queue_seq == 42u);
  BOOST_TEST(t.scheduled_at == 0);
  failed.scheduled_at = now + 60'000; // still ahead: kept
  BOOST_TEST(retried(failed, 43, now).scheduled_at == now + 60'000);
}

BOOST_AUTO_TEST_CASE(a_run_ends_completed_failed_or_retried) {
  auto running = started(pending_on("s1"), "n", now - 1000);
  retry_policy off;
  auto end = after_run(running, {7, true, "posted", {{now - 10, "a"}}, 0}, off,
                       now, 0, 0);
  BOOST_TEST((end.t.status == task_status::completed));
  BOOST_TEST(end.t.remark == "posted");
  BOOST_TEST(end.t.exit_code == 0);
  BOOST_TEST(end.log.append);
  BOOST_TEST(end.log.lines.size() == 2u);
  BOOST_TEST(end.log.lines.back().text == "completed");
  end = after_run(running, {7, false, "boom", {}, 2}, off, now, 0, 0);
  BOOST_TEST((end.t.status == task_status::failed));
  BOOST_TEST(end.log.lines.back().text == "failed: boom");

  retry_policy twice{2, 1000, 5000};
  end = after_run(running, {7, false, "boom", {}, 1}, twice, now, 3000, 99);
  BOOST_TEST((end.t.status == task_status::pending));
  BOOST_TEST(end.t.remark == "boom"); // kept until it runs again
  BOOST_TEST(end.t.auto_retry_count == 1u);
  BOOST_TEST(end.t.retry_count == 1u);
  BOOST_TEST(end.t.scheduled_at == now + 3000);
  BOOST_TEST(end.t.queue_seq == 99u);
  BOOST_TEST(end.log.lines.back().text == "automatic retry 1 of 2");
  end.t.auto_retry_count = 2; // used up
  BOOST_TEST(!retries_automatically(end.t, false, twice));
  BOOST_TEST(!retries_automatically(running, true, twice));
}

BOOST_AUTO_TEST_CASE(interrupted_runs_fail_without_a_rerun) {
  auto t = interrupted(started(pending_on("s1"), "n", now - 10), now);
  BOOST_TEST((t.status == task_status::failed));
  BOOST_TEST(t.remark == "interrupted by server restart");
  BOOST_TEST(t.finished_at == now);
}

BOOST_AUTO_TEST_CASE(retry_delay_stays_in_its_bounds) {
  std::mt19937_64 rng(1);
  retry_policy p{1, 1000, 1500};
  for (int i = 0; i < 100; ++i) {
    auto d = retry_delay(p, rng);
    BOOST_TEST((d >= 1000 && d <= 1500));
  }
  BOOST_TEST(run_timeout("other", "{}", 0.5) == 300'000);
}

namespace {

struct planner {
  account_registry accounts;
  std::set<std::string> devices{"s1", "s2"};
  std::mt19937_64 rng{7};

  planner() {
    accounts.put({"a1", "s1", "tiktok", true});
    accounts.put({"a2", "s1", "tiktok", true});
    accounts.put({"off", "s2", "tiktok", false});
  }

  task_plan plan(const create_request& req) {
    plan_context ctx{[this](const std::string& s) {
                       return devices.count(s) != 0;
                     },
                     &accounts, now, 10, 100};
    return plan_tasks(req, "api", ctx, rng);
  }
};

create_request request_for(std::vector<std::string> serials) {
  create_request req;
  req.serials = std::move(serials);
  req.script_name = "follow";
  req.configs = {"{\"t\":1}", "{\"t\":2}"};
  return req;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(device_mode_fans_out_per_serial_and_config, planner) {
  auto p = plan(request_for({"s1", "s2"}));
  BOOST_REQUIRE(!p.error);
  BOOST_REQUIRE_EQUAL(p.tasks.size(), 4u);
  BOOST_TEST(p.tasks[0].id == 10u);
  BOOST_TEST(p.tasks[3].id == 13u);
  BOOST_TEST(p.tasks[3].queue_seq == 103u);
  BOOST_TEST(p.tasks[1].serial == "s1");
  BOOST_TEST(p.tasks[1].script_config == "{\"t\":2}");
  BOOST_TEST(p.tasks[2].serial == "s2");
  BOOST_TEST(p.tasks[0].scheduled_at == 0);
  BOOST_TEST(p.tasks[0].created_at == now);
}

BOOST_FIXTURE_TEST_CASE(accounts_resolve_or_refuse, planner) {
  auto req = request_for({"s1"});
  req.multi_account = true;
  auto p = plan(req);
  BOOST_REQUIRE_EQUAL(p.tasks.size(), 4u);
  BOOST_TEST(p.tasks[0].username == "a1");
  BOOST_TEST(p.tasks[2].username == "a2");
  req.serials = {"s2"}; // only a disabled account
  BOOST_TEST(plan(req).error.message
             == "serials: device 's2' has no enabled accounts");
  req = request_for({});
  req.usernames = {"a2"};
  p = plan(req);
  BOOST_REQUIRE_EQUAL(p.tasks.size(), 2u);
  BOOST_TEST(p.tasks[0].serial == "s1");
  req.usernames = {"off"};
  BOOST_TEST(plan(req).error.message
             == "usernames: account 'off' is "
                "disabled");
  req.usernames = {"nobody"};
  BOOST_TEST(plan(req).error.message
             == "usernames: unknown account "
                "'nobody'");
  BOOST_TEST(plan(request_for({"s9"})).error.message
             == "serials: unknown device 's9'");
}

BOOST_FIXTURE_TEST_CASE(intervals_stagger_the_tasks_of_a_request, planner) {
  auto req = request_for({"s1", "s2"});
  req.start_at = now + 60'000;
  req.min_interval = 2;
  req.max_interval = 5;
  auto p = plan(req);
  BOOST_REQUIRE_EQUAL(p.tasks.size(), 4u);
  BOOST_TEST(p.tasks[0].scheduled_at == now + 60'000);
  for (size_t i = 1; i < p.tasks.size(); ++i) {
    auto gap = p.tasks[i].scheduled_at - p.tasks[i - 1].scheduled_at;
    BOOST_TEST((gap >= 2 * 60'000 && gap <= 5 * 60'000));
  }
}

// Deterministic tests of when and how tasks run: start times, the
// scheduler's horizon and restarts, staggering, auto-retry, timeouts (with
// the simulated host), account gates, the device limit and task logs.
#define BOOST_TEST_MODULE scheduling
#include "tests/actor_fixture.hpp"

#include "actors/device.hpp"
#include "actors/scheduler.hpp"
#include "actors/sim_host.hpp"
#include "model/run_policy.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace tmx;
using namespace tmx::test;
using namespace std::chrono_literals;

namespace {

constexpr millis second = 1'000;
constexpr millis minute = 60 * second;

/// A log as "+<ms after start_time> <text>" lines.
std::vector<std::string> render(const std::vector<log_line>& lines) {
  std::vector<std::string> out;
  for (auto& l : lines)
    out.push_back("+" + std::to_string(l.at - actor_fixture::start_time) + " "
                  + l.text);
  return out;
}

/// The rendered start line of a run on dev-1 of node-a, `at` ms after
/// start_time.
std::string dev1_start(millis at) {
  return "+" + std::to_string(at) + " started on device dev-1 (node node-a)";
}

/// The texts of a log, for lines stamped by a clock the test does not drive.
std::vector<std::string> texts(const std::vector<log_line>& lines) {
  std::vector<std::string> out;
  for (auto& l : lines)
    out.push_back(l.text);
  return out;
}

/// What the simulated "post" prints in its first 2.5 s, after the start.
std::vector<std::string> sim_post_opening(std::string last) {
  return {"started on device sim-0001 (node sim)", "opening the app",
          "uploading material", std::move(last)};
}

/// Three known devices; each test starts the manager with its own policy.
struct scheduling_farm : farm {
  scheduling_farm() : farm(3) {}

  /// Moves the clock to manager time `at`.
  void advance_to(millis at) {
    BOOST_REQUIRE_GE(at, now());
    advance(std::chrono::milliseconds(at - now()));
  }

  /// `id` (pending) does not start before `due` and starts at `due`, on
  /// `host`.
  void check_starts_at(const mock_host& host, task_id id, millis due) {
    auto before = host.log->orders.size();
    advance_to(due - 1);
    BOOST_CHECK_EQUAL(host.log->orders.size(), before);
    BOOST_CHECK_EQUAL(status_of(stored(id)), "pending");
    advance_to(due);
    BOOST_REQUIRE_EQUAL(host.log->orders.size(), before + 1);
    BOOST_CHECK_EQUAL(host.log->orders.back().what.t.id, id);
    BOOST_CHECK_EQUAL(stored(id).started_at, due);
  }

  /// Starts the manager with automatic retries and a host on dev-1.
  mock_host start_retrying(uint32_t max_auto, millis delay_min,
                           millis delay_max) {
    task_manager_init init;
    init.retry = {max_auto, delay_min, delay_max};
    start_manager(init);
    return attach("node-a", "dev-1");
  }

  task_manager_state& manager_state() {
    return state_of<task_manager_state>(manager);
  }

  scheduler_state& timer() {
    return state_of<scheduler_state>(manager_state().timer);
  }

  /// Whether the scheduler holds `id` in memory (due within its window).
  bool in_memory(task_id id) {
    for (auto& entry : timer().soon)
      if (entry.second == id)
        return true;
    return false;
  }

  uint64_t running_count() const {
    return db->counts().by_status[static_cast<size_t>(task_status::running)];
  }

  bool is_running(task_id id) const {
    return stored(id).status == task_status::running;
  }

  /// Creates `n` runs of "post" on dev-1 in one request, staggered by
  /// [min, max] minutes from `start_at` (0 = now).
  std::vector<task> stagger(int n, int min, int max, millis start_at) {
    auto cmd = command_for("dev-1", start_at);
    cmd.req.configs.assign(static_cast<size_t>(n), "{}");
    cmd.req.min_interval = min;
    cmd.req.max_interval = max;
    std::vector<task> out;
    for (auto id : create(cmd))
      out.push_back(stored(id));
    BOOST_REQUIRE_EQUAL(out.size(), static_cast<size_t>(n));
    return out;
  }

  /// Registers (or moves) `username` to `serial`.
  void put_account(const std::string& username, const std::string& serial) {
    account a{username, serial, "tiktok", true};
    unbox(request<account>(manager, account_atom::value, a));
  }

  /// One run of "post" as `username`, on whichever device it is on.
  task_id create_for(const std::string& username) {
    auto cmd = command_for("");
    cmd.req.serials.clear();
    cmd.req.usernames = {username};
    return create(cmd).at(0);
  }

  /// Alice's tasks on two devices, both online: `first` was created while
  /// she was on dev-1 (and runs there), `second` after she moved to dev-2.
  struct moved_account {
    mock_host one;
    mock_host two;
    task_id first = 0;
    task_id second = 0;
  };

  moved_account alice_on_two_devices() {
    start_manager();
    moved_account out{attach("node-a", "dev-1"), attach("node-b", "dev-2")};
    put_account("alice", "dev-1");
    out.first = create_for("alice");
    put_account("alice", "dev-2");
    out.second = create_for("alice");
    return out;
  }

  /// Runs one "post" ({} = 300 s before scaling) on a simulated device
  /// whose script takes `duration`, at timeout-scale `scale`: the run must
  /// still be going at `length` - 1 ms and be over at `length`.
  task run_on_sim(double scale, caf::timespan duration, millis length) {
    task_manager_init init;
    init.timeout_scale = scale;
    start_manager(init);
    sim_options opts;
    opts.node = "sim";
    opts.devices = 1;
    opts.task_duration = duration;
    auto host = spawn(sim_host, opts);
    register_host(opts.node, host, "sim-0001");
    auto id = create(command_for("sim-0001")).at(0);
    auto started = stored(id).started_at;
    BOOST_CHECK_EQUAL(started, now());
    advance_to(started + length - 1);
    BOOST_CHECK_EQUAL(status_of(stored(id)), "running");
    advance_to(started + length);
    auto t = stored(id);
    BOOST_CHECK_EQUAL(t.finished_at, started + length);
    // Nothing of the run is left to happen after it ended.
    advance(duration);
    BOOST_CHECK(stored(id) == t);
    return t;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(scheduling, scheduling_farm)

// -- start times and the scheduler --------------------------------------------

BOOST_AUTO_TEST_CASE(future_start_time_runs_at_the_tick_of_its_due_time) {
  start_manager();
  auto host = attach("node-a", "dev-1");
  auto due = now() + 3 * minute + 17;
  auto id = create(command_for("dev-1", due)).at(0);
  BOOST_CHECK_EQUAL(stored(id).scheduled_at, due);
  BOOST_CHECK(in_memory(id)); // due within the horizon
  BOOST_CHECK_EQUAL(device("dev-1").queued, 0u);
  check_starts_at(host, id, due);
}

BOOST_AUTO_TEST_CASE(task_beyond_the_horizon_is_read_from_the_due_index) {
  start_manager();
  auto host = attach("node-a", "dev-1");
  auto due = now() + 4 * schedule_horizon + 123;
  auto id = create(command_for("dev-1", due)).at(0);
  BOOST_CHECK(!in_memory(id));
  std::vector<task_id> indexed;
  BOOST_REQUIRE(db->for_each_due(due, due + 1, [&](millis, task_id x) {
    indexed.push_back(x);
    return true;
  }) == store_errc::ok);
  BOOST_TEST(indexed == std::vector<task_id>{id});
  int refills = 0;
  for (auto loaded = timer().loaded_until; now() + minute < due;) {
    advance(1min);
    if (timer().loaded_until != loaded) {
      ++refills;
      loaded = timer().loaded_until;
    }
    // Read in with the window that covers it, and in time for its tick.
    BOOST_CHECK_EQUAL(in_memory(id), due < loaded);
    BOOST_CHECK_GE(loaded, now() + schedule_horizon / 2);
  }
  BOOST_CHECK_GE(refills, 6);
  BOOST_CHECK(host.log->orders.empty());
  check_starts_at(host, id, due);
}

BOOST_AUTO_TEST_CASE(due_time_passed_while_the_server_was_down) {
  // Left in the store by a server that was down from an hour ago: due then,
  // due right at the restart, and due after it.
  std::vector<task> left{pending_task(1, "dev-1", start_time - 60 * minute),
                         pending_task(2, "dev-1", start_time),
                         pending_task(3, "dev-1", start_time + 1),
                         pending_task(4, "dev-1", start_time + 90 * second)};
  BOOST_REQUIRE(db->insert(left) == store_errc::ok);
  start_manager();
  auto host = attach("node-a", "dev-1");
  BOOST_TEST(host.log->ordered_ids() == std::vector<task_id>{1});
  BOOST_CHECK_EQUAL(stored(1).started_at, start_time);
  finish(host, 1, true);
  BOOST_TEST(host.log->ordered_ids() == (std::vector<task_id>{1, 2}));
  finish(host, 2, true);
  check_starts_at(host, 3, start_time + 1);
  finish(host, 3, true);
  check_starts_at(host, 4, start_time + 90 * second);
}

BOOST_AUTO_TEST_CASE(scheduler_keeps_a_single_timer) {
  // Each refill, and each due time earlier than the armed tick, arms a new
  // timer; the ones armed before must not each start a tick chain.
  start_manager();
  for (int i = 1; i <= 4; ++i)
    create(command_for("dev-1", now() + i * minute));
  // Between two refills (every 5 min) nothing but the next tick waits.
  advance(62min);
  BOOST_CHECK_EQUAL(device("dev-1").queued, 4u);
  BOOST_CHECK_EQUAL(delayed_messages(), 1u);
  advance(2h);
  BOOST_CHECK_EQUAL(delayed_messages(), 1u);
}

// -- staggering ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(staggered_tasks_are_spaced_within_the_interval) {
  start_manager();
  auto tasks = stagger(8, 2, 7, 0);
  BOOST_CHECK_EQUAL(tasks[0].scheduled_at, 0); // the first one runs now
  auto previous = now();
  for (size_t i = 1; i < tasks.size(); ++i) {
    auto gap = tasks[i].scheduled_at - previous;
    BOOST_TEST_CONTEXT("task " << i) {
      BOOST_CHECK_EQUAL(gap % minute, 0);
      BOOST_CHECK_GE(gap, 2 * minute);
      BOOST_CHECK_LE(gap, 7 * minute);
    }
    previous = tasks[i].scheduled_at;
  }
}

BOOST_AUTO_TEST_CASE(equal_interval_bounds_give_exact_spacing) {
  start_manager();
  auto host = attach("node-a", "dev-1");
  auto base = now() + minute;
  auto tasks = stagger(4, 3, 3, base);
  for (size_t i = 0; i < tasks.size(); ++i) {
    auto due = base + static_cast<millis>(i) * 3 * minute;
    BOOST_CHECK_EQUAL(tasks[i].scheduled_at, due);
    check_starts_at(host, tasks[i].id, due);
    finish(host, tasks[i].id, true);
  }
}

// -- auto-retry ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(failed_run_is_retried_after_a_delay_then_stays_failed) {
  auto host = start_retrying(2, 20 * second, 50 * second);
  auto id = create(command_for("dev-1")).at(0);
  // The n-th run fails after a second; the remark stays with the task.
  auto fail = [&](uint32_t n) {
    advance(1s);
    auto remark = "captcha " + std::to_string(n);
    finish(host, id, false, remark);
    auto t = stored(id);
    BOOST_CHECK_EQUAL(t.remark, remark);
    BOOST_CHECK_EQUAL(t.retry_count, std::min(n, 2u));
    BOOST_CHECK_EQUAL(t.auto_retry_count, std::min(n, 2u));
    return t;
  };
  for (uint32_t n = 1; n <= 2; ++n) {
    BOOST_TEST_CONTEXT("automatic retry " << n) {
      auto t = fail(n);
      BOOST_CHECK_EQUAL(status_of(t), "pending");
      BOOST_CHECK_GE(t.scheduled_at, t.finished_at + 20 * second);
      BOOST_CHECK_LE(t.scheduled_at, t.finished_at + 50 * second);
      BOOST_CHECK_EQUAL(log_of(id).back().text,
                        "automatic retry " + std::to_string(n) + " of 2");
      advance_to(t.finished_at + 20 * second - 1);
      BOOST_CHECK_EQUAL(host.log->orders.size(), n);
      check_starts_at(host, id, t.scheduled_at);
      // The last error shows until the next run ends.
      BOOST_CHECK_EQUAL(stored(id).remark, t.remark);
    }
  }
  fail(3);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "failed");
  advance(2min);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 3u);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "failed");
  // A manual retry is still allowed and runs at once.
  auto again = unbox(request<task>(manager, retry_atom::value, id));
  BOOST_CHECK_EQUAL(again.retry_count, 3u);
  BOOST_CHECK_EQUAL(again.auto_retry_count, 2u);
  BOOST_CHECK_EQUAL(again.remark, "");
  BOOST_CHECK_EQUAL(host.log->orders.size(), 4u);
  finish(host, id, true);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "completed");
}

BOOST_AUTO_TEST_CASE(lost_host_is_retried_automatically_but_a_stop_is_not) {
  auto host = start_retrying(1, 5 * second, 5 * second);
  auto ids = create_tasks("dev-1", 2);
  caf::anon_send_exit(host.hdl, caf::exit_reason::kill);
  run();
  auto lost = stored(ids[0]);
  BOOST_CHECK_EQUAL(status_of(lost), "pending");
  BOOST_CHECK_EQUAL(lost.remark, "device host lost");
  BOOST_CHECK_EQUAL(lost.scheduled_at, start_time + 5 * second);
  auto next = attach("node-b", "dev-1");
  BOOST_TEST(next.log->ordered_ids() == std::vector<task_id>{ids[1]});
  unbox(request<task>(manager, stop_atom::value, ids[1]));
  advance(1min);
  BOOST_TEST(next.log->ordered_ids() == (std::vector<task_id>{ids[1], ids[0]}));
  auto stopped = stored(ids[1]);
  BOOST_CHECK_EQUAL(status_of(stopped), "failed");
  BOOST_CHECK_EQUAL(stopped.remark, "stopped by user");
  BOOST_CHECK_EQUAL(stopped.auto_retry_count, 0u);
}

// -- timeouts -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(base_timeout_per_script) {
  BOOST_CHECK_EQUAL(base_timeout("post", "{}"), 300 * second);
  BOOST_CHECK_EQUAL(
    base_timeout("post", R"({"upload_wait_time":60,"sound_wait_time":30})"),
    390 * second);
  BOOST_CHECK_EQUAL(base_timeout("account_warmup", "{}"), 120 * second);
  BOOST_CHECK_EQUAL(base_timeout("account_warmup", R"({"task_duration":1800})"),
                    1920 * second);
  BOOST_CHECK_EQUAL(base_timeout("follow", R"({"task_duration":1800})"),
                    600 * second);
  BOOST_CHECK_EQUAL(base_timeout("unfollow", "{}"), 600 * second);
  // Unreadable configs and fields count as empty.
  BOOST_CHECK_EQUAL(base_timeout("post", "not json"), 300 * second);
  BOOST_CHECK_EQUAL(base_timeout("post", "[60]"), 300 * second);
  BOOST_CHECK_EQUAL(
    base_timeout("post", R"({"upload_wait_time":-5,"sound_wait_time":"9"})"),
    300 * second);
}

BOOST_AUTO_TEST_CASE(timeout_remark_formats) {
  BOOST_CHECK_EQUAL(timeout_remark(600 * second), "timeout after 600 s");
  BOOST_CHECK_EQUAL(timeout_remark(3 * second), "timeout after 3 s");
  BOOST_CHECK_EQUAL(timeout_remark(0), "timeout after 0 s");
  BOOST_CHECK_EQUAL(timeout_remark(250), "timeout after 0.25 s");
  BOOST_CHECK_EQUAL(timeout_remark(1'500), "timeout after 1.5 s");
  BOOST_CHECK_EQUAL(timeout_remark(1), "timeout after 0.001 s");
}

BOOST_AUTO_TEST_CASE(long_fractional_timeout_remark_has_no_exponent) {
  BOOST_CHECK_EQUAL(timeout_remark(1'501'500), "timeout after 1501.5 s");
}

BOOST_AUTO_TEST_CASE(run_longer_than_its_timeout_fails_at_the_timeout) {
  // 300 s scaled by 0.01: 3 s, while the script would take 10 s.
  auto t = run_on_sim(0.01, 10s, 3 * second);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "timeout after 3 s");
  BOOST_TEST(texts(log_of(t.id))
             == sim_post_opening("failed: timeout after 3 s"));
}

BOOST_AUTO_TEST_CASE(run_within_its_timeout_completes_at_its_duration) {
  auto t = run_on_sim(1.0, 10s, 10 * second);
  BOOST_CHECK_EQUAL(status_of(t), "completed");
  BOOST_CHECK_EQUAL(t.remark, "");
  auto expected = sim_post_opening("writing the caption");
  expected.insert(expected.end(), {"publishing", "completed"});
  BOOST_TEST(texts(log_of(t.id)) == expected);
}

// -- accounts and the device limit --------------------------------------------

BOOST_AUTO_TEST_CASE(an_account_runs_one_task_at_a_time_across_devices) {
  auto alice = alice_on_two_devices();
  auto first = alice.first;
  auto second = alice.second;
  BOOST_CHECK_EQUAL(stored(first).serial, "dev-1");
  BOOST_CHECK_EQUAL(stored(second).serial, "dev-2");
  BOOST_CHECK(is_running(first));
  invariant = [this, first, second] {
    BOOST_REQUIRE(!(is_running(first) && is_running(second)));
  };
  BOOST_CHECK_EQUAL(status_of(stored(second)), "pending");
  BOOST_CHECK_EQUAL(device("dev-2").state, "online");
  // The blocked task does not hold up an unrelated one behind it.
  auto other = create(command_for("dev-2")).at(0);
  auto& two = *alice.two.log;
  BOOST_TEST(two.ordered_ids() == std::vector<task_id>{other});
  finish(alice.two, other, true);
  BOOST_TEST(two.ordered_ids() == std::vector<task_id>{other});
  BOOST_CHECK_EQUAL(device("dev-2").queued, 1u);
  advance(5s);
  finish(alice.one, first, true);
  BOOST_TEST(two.ordered_ids() == (std::vector<task_id>{other, second}));
  BOOST_CHECK_EQUAL(stored(second).started_at, stored(first).finished_at);
  BOOST_CHECK_EQUAL(render(log_of(second)).front(),
                    "+5000 started on device dev-2 as alice (node node-b)");
  finish(alice.two, second, true);
  BOOST_CHECK_EQUAL(status_of(stored(second)), "completed");
}

BOOST_AUTO_TEST_CASE(an_account_serves_its_tasks_in_order_across_devices) {
  // The device that releases an account asks for it again before the
  // device it wakes can: the account must be kept for the task that waited
  // longest, or it is overtaken (and starves while new ones arrive).
  auto alice = alice_on_two_devices();
  put_account("alice", "dev-1");
  auto later = create_for("alice");
  finish(alice.one, alice.first, true);
  // FIFO per account (docs/decisions/0008): the one that waited goes first.
  BOOST_CHECK(is_running(alice.second));
  BOOST_CHECK(!is_running(later));
}

BOOST_AUTO_TEST_CASE(device_limit_rotates_the_slot_between_busy_devices) {
  task_manager_init init;
  init.device_limit = 1;
  start_manager(init);
  std::vector<mock_host> hosts;
  for (auto serial : {"dev-1", "dev-2", "dev-3"})
    hosts.push_back(attach(std::string("node-") + serial, serial));
  invariant = [this] {
    BOOST_REQUIRE_LE(running_count(), 1u);
    size_t slots = 0;
    for (auto& entry : manager_state().devices)
      slots += state_of<device_state>(entry.second).has_slot ? 1 : 0;
    BOOST_REQUIRE_LE(slots, 1u);
  };
  for (auto serial : {"dev-1", "dev-2", "dev-3"})
    create_tasks(serial, 2);
  std::vector<std::string> ran;
  std::vector<size_t> done(hosts.size(), 0);
  while (ran.size() < 6) {
    std::vector<size_t> busy;
    for (size_t i = 0; i < hosts.size(); ++i)
      if (hosts[i].log->orders.size() > done[i])
        busy.push_back(i);
    BOOST_REQUIRE_EQUAL(busy.size(), 1u);
    auto order = hosts[busy[0]].log->orders[done[busy[0]]++].what;
    ran.push_back(order.serial);
    finish(hosts[busy[0]], order.t.id, true);
  }
  BOOST_CHECK_EQUAL(running_count(), 0u);
  // Each device ran once before any ran twice, and in the same turn again.
  std::vector<std::string> round(ran.begin(), ran.begin() + 3);
  BOOST_CHECK_EQUAL(std::set<std::string>(round.begin(), round.end()).size(),
                    3u);
  BOOST_TEST(std::vector<std::string>(ran.begin() + 3, ran.end()) == round);
}

// -- task logs ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(task_log_holds_only_the_last_run) {
  start_manager();
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  BOOST_TEST(render(log_of(id)) == std::vector<std::string>{dev1_start(0)});
  advance(2s);
  finish(host, id, false, "boom",
         {{start_time + 500, "step a"}, {start_time + 1'500, "step b"}});
  BOOST_TEST(
    render(log_of(id))
    == (std::vector<std::string>{dev1_start(0), "+500 step a", "+1500 step b",
                                 "+2000 failed: boom"}));
  advance(1s);
  unbox(request<task>(manager, retry_atom::value, id));
  BOOST_TEST(render(log_of(id)) == std::vector<std::string>{dev1_start(3'000)});
  advance(4s);
  finish(host, id, true, "", {{start_time + 4'000, "step c"}});
  BOOST_TEST(render(log_of(id))
             == (std::vector<std::string>{dev1_start(3'000), "+4000 step c",
                                          "+7000 completed"}));
}

BOOST_AUTO_TEST_CASE(stopped_run_log_ends_with_the_stop) {
  // What the script printed is gone with the run; the log still says how
  // the run ended (docs/api.md: the final line is written when it ends).
  start_manager();
  attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  advance(2s);
  unbox(request<task>(manager, stop_atom::value, id));
  BOOST_TEST(render(log_of(id))
             == (std::vector<std::string>{dev1_start(0),
                                          "+2000 failed: stopped by user"}));
}

BOOST_AUTO_TEST_SUITE_END()

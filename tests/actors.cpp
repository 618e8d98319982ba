// Deterministic tests of the task manager and its device actors on a real
// store: task lifecycle, device queues, lost hosts, schedules, restarts.
#define BOOST_TEST_MODULE actors
#include "tests/actor_fixture.hpp"

#include "actors/device.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace tmx;
using namespace tmx::test;
using namespace std::chrono_literals;

namespace {

/// A device host that must never hear from its devices.
device_host_actor::behavior_type forbidden_host(device_host_actor::pointer) {
  return {
    [](run_atom, const run_order& o) {
      BOOST_ERROR("the host got a run order for task " << o.t.id);
    },
    [](cancel_atom, task_id id) {
      BOOST_ERROR("the host got a cancel for task " << id);
    },
    [](stop_atom) { BOOST_ERROR("the host was told to end every run"); },
    [](get_atom) { return std::vector<device_desc>{}; },
    [](attach_atom, const device_report_actor&) {
      BOOST_ERROR("the host was given a listener");
    },
    [](screen_atom, const std::string& serial) {
      BOOST_ERROR("the host was asked for a screenshot of " << serial);
      return std::string();
    },
  };
}

struct live_farm : farm {
  live_farm() { start_manager(); }

  /// A stop or delete took `gone` off the host and the device went on with
  /// `next`.
  void check_moved_on(const mock_host& host, task_id gone, task_id next) {
    BOOST_TEST(host.log->cancels == std::vector<task_id>{gone});
    BOOST_TEST(host.log->ordered_ids() == (std::vector<task_id>{gone, next}));
    BOOST_CHECK_EQUAL(status_of(stored(next)), "running");
    BOOST_CHECK_EQUAL(device("dev-1").running_task_id, next);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(actors, live_farm)

BOOST_AUTO_TEST_CASE(created_task_runs_once_its_host_registers) {
  auto id = create(command_for("dev-1")).at(0);
  auto t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "pending");
  BOOST_CHECK_EQUAL(t.created_at, start_time);
  BOOST_CHECK_EQUAL(device("dev-1").state, "offline");
  advance(5s);
  auto host = attach("node-a", "dev-1");
  t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "running");
  BOOST_CHECK_EQUAL(t.started_at, start_time + 5'000);
  BOOST_CHECK_EQUAL(t.node, "node-a");
  BOOST_REQUIRE_EQUAL(host.log->orders.size(), 1u);
  BOOST_CHECK_EQUAL(host.log->orders[0].what.t.id, id);
  BOOST_CHECK_EQUAL(host.log->orders[0].what.serial, "dev-1");
  // "post" with no waits: 300 s, at timeout-scale 1.
  BOOST_CHECK_EQUAL(host.log->orders[0].what.timeout, 300'000);
  BOOST_CHECK_EQUAL(device("dev-1").state, "busy");
  advance(30s);
  finish(host, id, true);
  t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "completed");
  BOOST_CHECK_EQUAL(t.finished_at, start_time + 35'000);
  BOOST_CHECK_EQUAL(t.remark, "");
  BOOST_CHECK_EQUAL(device("dev-1").state, "online");
}

BOOST_AUTO_TEST_CASE(failed_run_keeps_its_remark) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  advance(2s);
  finish(host, id, false, "login required");
  auto t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "login required");
  BOOST_CHECK_EQUAL(t.finished_at, start_time + 2'000);
}

BOOST_AUTO_TEST_CASE(device_runs_one_task_at_a_time_in_fifo_order) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 3);
  BOOST_CHECK_EQUAL(device("dev-1").queued, 2u);
  BOOST_CHECK_EQUAL(status_of(stored(ids[2])), "pending");
  BOOST_TEST(drain(host, "dev-1") == ids);
  for (auto id : ids)
    BOOST_CHECK_EQUAL(status_of(stored(id)), "completed");
  BOOST_CHECK_EQUAL(device("dev-1").state, "online");
}

BOOST_AUTO_TEST_CASE(a_long_queue_runs_in_order_from_the_store) {
  // Far more tasks than a device holds (queue_window): it reads its queue
  // slice by slice, and tasks created while it works join at the end.
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 3 * queue_window + 5);
  BOOST_CHECK_EQUAL(device("dev-1").queued, ids.size() - 1);
  auto more = create_tasks("dev-1", 7);
  ids.insert(ids.end(), more.begin(), more.end());
  BOOST_TEST(drain(host, "dev-1") == ids);
  BOOST_CHECK_EQUAL(device("dev-1").queued, 0u);
  // An idle device that has read all of its queue takes a new task at once.
  auto last = create_tasks("dev-1", 1);
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, last.at(0));
}

BOOST_AUTO_TEST_CASE(stopping_the_running_task_cancels_it_and_starts_next) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 2);
  advance(1s);
  auto reply = unbox(request<task>(manager, stop_atom::value, ids[0]));
  BOOST_CHECK_EQUAL(status_of(reply), "failed");
  BOOST_CHECK_EQUAL(reply.remark, "stopped by user");
  auto t = stored(ids[0]);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "stopped by user");
  BOOST_CHECK_EQUAL(t.finished_at, start_time + 1'000);
  check_moved_on(host, ids[0], ids[1]);
  // A result already on its way when the stop came changes nothing.
  finish(host, ids[0], true);
  BOOST_CHECK_EQUAL(stored(ids[0]).remark, "stopped by user");
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, ids[1]);
}

BOOST_AUTO_TEST_CASE(stopped_pending_task_never_reaches_the_host) {
  auto id = create(command_for("dev-1")).at(0);
  auto reply = unbox(request<task>(manager, stop_atom::value, id));
  BOOST_CHECK_EQUAL(status_of(reply), "failed");
  BOOST_CHECK_EQUAL(status_of(stored(id)), "failed");
  BOOST_CHECK_EQUAL(stored(id).remark, "stopped by user");
  register_host("node-a", spawn(forbidden_host), "dev-1");
  auto dev = device("dev-1");
  BOOST_CHECK_EQUAL(dev.state, "online");
  BOOST_CHECK_EQUAL(dev.queued, 0u);
}

BOOST_AUTO_TEST_CASE(deleting_the_running_task_cancels_it_and_frees_device) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 2);
  auto erased = unbox(request<std::vector<task_id>>(
    manager, erase_atom::value, std::vector<task_id>{ids[0]}));
  BOOST_TEST(erased == std::vector<task_id>{ids[0]});
  BOOST_CHECK(!exists(ids[0]));
  check_moved_on(host, ids[0], ids[1]);
}

BOOST_AUTO_TEST_CASE(retried_failed_task_runs_again) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  finish(host, id, false, "captcha");
  auto reply = unbox(request<task>(manager, retry_atom::value, id));
  BOOST_CHECK_EQUAL(status_of(reply), "pending");
  BOOST_CHECK_EQUAL(reply.retry_count, 1u);
  BOOST_CHECK_EQUAL(reply.remark, "");
  BOOST_TEST(host.log->ordered_ids() == (std::vector<task_id>{id, id}));
  auto t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "running");
  BOOST_CHECK_EQUAL(t.retry_count, 1u);
  BOOST_CHECK_EQUAL(t.remark, "");
  finish(host, id, true);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "completed");
}

BOOST_AUTO_TEST_CASE(only_a_failed_task_can_be_retried) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  auto running = request<task>(manager, retry_atom::value, id);
  BOOST_CHECK_EQUAL(error_of(running).code, ec::conflict);
  finish(host, id, true);
  auto completed = request<task>(manager, retry_atom::value, id);
  BOOST_CHECK_EQUAL(error_of(completed).code, ec::conflict);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "completed");
  BOOST_CHECK_EQUAL(stored(id).retry_count, 0u);
  auto unknown = request<task>(manager, retry_atom::value, task_id{999});
  BOOST_CHECK_EQUAL(error_of(unknown).code, ec::not_found);
}

BOOST_AUTO_TEST_CASE(lost_host_fails_running_task_and_keeps_the_queue) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 3);
  advance(3s);
  caf::anon_send_exit(host.hdl, caf::exit_reason::kill);
  run();
  auto t = stored(ids[0]);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "device host lost");
  BOOST_CHECK_EQUAL(t.finished_at, start_time + 3'000);
  auto dev = device("dev-1");
  BOOST_CHECK_EQUAL(dev.state, "offline");
  BOOST_CHECK_EQUAL(dev.running_task_id, 0u);
  BOOST_CHECK_EQUAL(dev.queued, 2u);
  BOOST_CHECK_EQUAL(status_of(stored(ids[1])), "pending");
  BOOST_CHECK_EQUAL(status_of(stored(ids[2])), "pending");
  auto next = attach("node-b", "dev-1");
  BOOST_CHECK_EQUAL(stored(ids[1]).node, "node-b");
  BOOST_TEST(drain(next, "dev-1") == (std::vector<task_id>{ids[1], ids[2]}));
  BOOST_CHECK_EQUAL(host.log->orders.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_serial_belongs_to_one_live_host) {
  auto first = attach("node-a", "dev-1");
  std::vector<device_desc> devs{described("dev-1")};
  auto second = spawn(recording_host, std::make_shared<host_log>());
  auto refused = unbox(request<std::vector<std::string>>(
    manager, register_atom::value, std::string("node-b"), second, devs));
  BOOST_TEST(refused == std::vector<std::string>{"dev-1"});
  BOOST_CHECK_EQUAL(device("dev-1").node, "node-a");
  caf::anon_send_exit(first.hdl, caf::exit_reason::kill);
  run();
  refused = unbox(request<std::vector<std::string>>(
    manager, register_atom::value, std::string("node-b"), second, devs));
  BOOST_TEST(refused.empty());
  BOOST_CHECK_EQUAL(device("dev-1").node, "node-b");
  BOOST_CHECK_EQUAL(device("dev-1").state, "online");
}

BOOST_AUTO_TEST_CASE(unplugged_device_fails_only_its_running_task) {
  auto host = attach("node-a", "dev-1");
  auto other = attach("node-a", "dev-2");
  auto ids = create_tasks("dev-1", 2);
  auto on_other = create_tasks("dev-2", 1);
  advance(1s);
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1", "disconnected"));
  run();
  auto t = stored(ids[0]);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "device disconnected");
  BOOST_TEST(host.log->cancels == std::vector<task_id>{ids[0]});
  auto dev = device("dev-1");
  BOOST_CHECK_EQUAL(dev.state, "offline");
  BOOST_CHECK_EQUAL(dev.state_reason, "disconnected");
  BOOST_CHECK_EQUAL(dev.queued, 1u);
  // Nothing else is freed or failed.
  BOOST_CHECK_EQUAL(status_of(stored(ids[1])), "pending");
  BOOST_CHECK_EQUAL(status_of(stored(on_other[0])), "running");
  // Plugged in again: the queue goes on where it was.
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1"));
  run();
  BOOST_CHECK_EQUAL(device("dev-1").state, "busy");
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, ids[1]);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 2u);
}

BOOST_AUTO_TEST_CASE(unauthorized_device_runs_nothing_until_authorised) {
  auto host = attach("node-a", "dev-1");
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1", "unauthorized"));
  run();
  auto ids = create_tasks("dev-1", 1);
  advance(1s);
  BOOST_CHECK(host.log->orders.empty());
  BOOST_CHECK_EQUAL(device("dev-1").state_reason, "unauthorized");
  auto err = request<std::string>(manager, screen_atom::value,
                                  std::string("dev-1"));
  BOOST_CHECK(error_of(err).code == ec::conflict);
  caf::anon_send(manager, device_atom::value, std::string("node-a"), host.hdl,
                 described("dev-1"));
  run();
  BOOST_TEST(host.log->ordered_ids() == std::vector<task_id>{ids[0]});
}

BOOST_AUTO_TEST_CASE(live_lines_reach_the_log_while_the_task_runs) {
  auto host = attach("node-a", "dev-1");
  auto id = create_tasks("dev-1", 1).at(0);
  auto& order = host.log->orders.at(0);
  caf::anon_send(order.device, log_atom::value, id,
                 std::vector<log_line>{{start_time, "step one"}});
  run();
  std::vector<log_line> lines;
  BOOST_REQUIRE(db->get_log(id, lines) == store_errc::ok);
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_CHECK_EQUAL(lines[1].text, "step one");
  finish(host, id, true, "", {{start_time, "step two"}});
  BOOST_REQUIRE(db->get_log(id, lines) == store_errc::ok);
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_CHECK_EQUAL(lines[2].text, "step two");
  BOOST_CHECK_EQUAL(lines[3].text, "completed");
  // Lines of a run that has ended are not added to its log.
  caf::anon_send(order.device, log_atom::value, id,
                 std::vector<log_line>{{start_time, "late"}});
  run();
  BOOST_REQUIRE(db->get_log(id, lines) == store_errc::ok);
  BOOST_CHECK_EQUAL(lines.size(), 4u);
}

BOOST_AUTO_TEST_CASE(screenshots_come_from_the_device_host) {
  attach("node-a", "dev-1");
  auto png = request<std::string>(manager, screen_atom::value,
                                  std::string("dev-1"));
  BOOST_CHECK_EQUAL(unbox(std::move(png)), "png of dev-1");
  auto unknown = request<std::string>(manager, screen_atom::value,
                                      std::string("dev-9"));
  BOOST_CHECK(error_of(unknown).code == ec::not_found);
}

BOOST_AUTO_TEST_CASE(host_lost_while_the_start_is_written_fails_the_task) {
  auto host = attach("node-a", "dev-1");
  auto reply = post<std::vector<task_id>>(manager, create_atom::value,
                                          command_for("dev-1"));
  // Halt once the store holds the start, before the device hears back from
  // the manager, and let the host die in exactly this window.
  auto running = static_cast<size_t>(task_status::running);
  BOOST_REQUIRE(run_until([&] { return db->counts().by_status[running]; }));
  caf::anon_send_exit(host.hdl, caf::exit_reason::kill);
  BOOST_REQUIRE(sched.prioritize(host.hdl));
  sched.run_once();
  run();
  BOOST_REQUIRE(reply->has_value());
  auto id = unbox(std::move(**reply)).at(0);
  auto t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "device host lost");
  BOOST_CHECK_EQUAL(device("dev-1").state, "offline");
}

BOOST_AUTO_TEST_CASE(scheduled_tasks_wait_for_their_time) {
  auto host = attach("node-a", "dev-1");
  auto later = create(command_for("dev-1", now() + 120'000)).at(0);
  auto sooner = create(command_for("dev-1", now() + 60'000)).at(0);
  BOOST_CHECK_EQUAL(stored(sooner).scheduled_at, start_time + 60'000);
  BOOST_CHECK_EQUAL(device("dev-1").queued, 0u);
  advance(59s);
  BOOST_CHECK(host.log->orders.empty());
  BOOST_CHECK_EQUAL(status_of(stored(sooner)), "pending");
  advance(1s);
  BOOST_TEST(host.log->ordered_ids() == std::vector<task_id>{sooner});
  BOOST_CHECK_EQUAL(stored(sooner).started_at, start_time + 60'000);
  finish(host, sooner, true);
  advance(59s);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 1u);
  advance(1s);
  BOOST_TEST(host.log->ordered_ids() == (std::vector<task_id>{sooner, later}));
  BOOST_CHECK_EQUAL(stored(later).started_at, start_time + 120'000);
}

BOOST_AUTO_TEST_CASE(idempotency_key_returns_the_first_reply) {
  auto cmd = command_for("dev-1");
  cmd.idempotency_key = "key-1";
  cmd.fingerprint = "body-1";
  auto first = create(cmd);
  BOOST_TEST(create(cmd) == first);
  BOOST_CHECK_EQUAL(db->counts().total, first.size());
  cmd.fingerprint = "body-2";
  auto clash = request<std::vector<task_id>>(manager, create_atom::value, cmd);
  BOOST_CHECK_EQUAL(error_of(clash).code, ec::conflict);
  BOOST_CHECK_EQUAL(db->counts().total, first.size());
  // Past its window the key protects nothing: the same body creates anew.
  advance(std::chrono::milliseconds(idempotency_window));
  cmd.fingerprint = "body-1";
  auto fresh = create(cmd);
  BOOST_CHECK(fresh != first);
  BOOST_CHECK_EQUAL(db->counts().total, first.size() + fresh.size());
}

BOOST_FIXTURE_TEST_CASE(recovery_fails_running_tasks_and_requeues_pending,
                        farm) {
  // What a process that ended abruptly left behind: one running task and
  // pending ones whose queue order differs from their id order.
  std::vector<task> left;
  for (uint64_t seq : {0, 7, 5, 6}) {
    auto t = pending_task(left.size() + 1, "dev-1");
    t.status = seq == 0 ? task_status::running : task_status::pending;
    t.node = seq == 0 ? "node-a" : "";
    t.queue_seq = seq == 0 ? 4 : seq;
    left.push_back(std::move(t));
  }
  BOOST_REQUIRE(db->insert(left) == store_errc::ok);
  // What the run of task 1 had logged before the process ended stays.
  BOOST_REQUIRE(db->update({}, {task_log{1,
                                         {{start_time - 9, "started on device "
                                                           "dev-1 (node "
                                                           "node-a)"},
                                          {start_time - 5, "step"}}}})
                == store_errc::ok);
  task_manager_init init;
  std::string error;
  BOOST_REQUIRE_MESSAGE(recover(*db, now(), init, error), error);
  BOOST_CHECK_EQUAL(init.loaded_until, start_time + 1);
  // Queue order (queue_seq 5, 6, 7), not id order: the device reads its
  // queue from the store.
  const std::vector<task_id> pending{3, 4, 2};
  BOOST_CHECK_EQUAL(init.next_id, 5u);
  BOOST_CHECK_EQUAL(init.next_queue_seq, 8u);
  auto t = stored(1);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.remark, "interrupted by server restart");
  BOOST_CHECK_EQUAL(t.finished_at, start_time);
  auto log = log_of(1);
  BOOST_REQUIRE_EQUAL(log.size(), 3u);
  BOOST_CHECK_EQUAL(log[0].text, "started on device dev-1 (node node-a)");
  BOOST_CHECK_EQUAL(log[1].text, "step");
  BOOST_CHECK_EQUAL(log[2].text, "failed: interrupted by server restart");
  BOOST_CHECK_EQUAL(log[2].at, start_time);
  // The manager built from the store rebuilds the queue in that order.
  start_manager();
  auto host = attach("node-a", "dev-1");
  BOOST_TEST(drain(host, "dev-1") == pending);
  BOOST_CHECK_EQUAL(status_of(stored(1)), "failed");
}

BOOST_AUTO_TEST_SUITE_END()

// Every transition of the task manager under a store that refuses the
// write: the caller gets 50001, memory stays exactly what the store holds
// (checked after every message), devices and hosts hear nothing, and the
// next operation works once the store writes again.
#define BOOST_TEST_MODULE write_first
#include <boost/test/unit_test.hpp>

#include "tests/actor_fixture.hpp"
#include "tests/failing_store.hpp"

using namespace tmx;
using namespace tmx::test;
using namespace std::chrono_literals;

namespace {

/// A farm whose manager writes through a failing store, with the
/// invariant "every task in memory is the stored one" after each message.
struct faulty_farm : farm {
  std::shared_ptr<store_faults> faults = std::make_shared<store_faults>();

  explicit faulty_farm(task_manager_init init = {}) {
    store = spawn(failing_store, store, faults);
    start_manager(std::move(init));
    invariant = [this] { memory_matches_store(); };
  }

  task_manager_state& memory() { return state_of<task_manager_state>(manager); }

  void memory_matches_store() {
    auto& st = memory();
    for (auto& [id, t] : st.active) {
      // A change being written is in the store a message before the
      // manager applies it: memory may lag behind, never run ahead.
      if (st.lanes.count(id) != 0)
        continue;
      task stored_task;
      auto e = db->get(id, stored_task);
      BOOST_REQUIRE_MESSAGE(e == store_errc::ok,
                            "task " << id << " in memory, not stored");
      BOOST_REQUIRE_MESSAGE(stored_task == t,
                            "task " << id << " differs from the store");
    }
    db->for_each_with_status(task_status::running, [&](const task& t) {
      BOOST_REQUIRE_MESSAGE(st.active.count(t.id) != 0
                              || st.lanes.count(t.id) != 0,
                            "task " << t.id << " stored running, unknown");
      return true;
    });
  }

  void refuse(const char* kind) { faults->refused = {kind}; }

  void heal() { faults->refused.clear(); }

  static void refused_error_of(const api_error& e) {
    BOOST_CHECK(e.code == ec::internal);
    BOOST_CHECK_MESSAGE(e.message.find('/') == std::string::npos,
                        "no internals: " << e.message);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(write_first, faulty_farm)

BOOST_AUTO_TEST_CASE(refused_create_stores_nothing_and_runs_nothing) {
  auto host = attach("node-a", "dev-1");
  refuse("create");
  auto r = request<std::vector<task_id>>(manager, create_atom::value,
                                         command_for("dev-1"));
  refused_error_of(error_of(r));
  BOOST_CHECK_EQUAL(db->counts().total, 0u);
  BOOST_CHECK(memory().active.empty());
  BOOST_CHECK(host.log->orders.empty());
  heal();
  auto id = create(command_for("dev-1")).at(0);
  BOOST_TEST(host.log->ordered_ids() == std::vector<task_id>{id});
}

BOOST_AUTO_TEST_CASE(refused_stop_of_a_running_task_changes_nothing) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  refuse("update");
  refused_error_of(error_of(request<task>(manager, stop_atom::value, id)));
  BOOST_CHECK_EQUAL(status_of(stored(id)), "running");
  BOOST_CHECK(host.log->cancels.empty());
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, id);
  heal();
  auto t = unbox(request<task>(manager, stop_atom::value, id));
  BOOST_CHECK_EQUAL(t.remark, "stopped by user");
  BOOST_CHECK_EQUAL(status_of(stored(id)), "failed");
  BOOST_TEST(host.log->cancels == std::vector<task_id>{id});
}

BOOST_AUTO_TEST_CASE(refused_stop_of_a_pending_task_keeps_its_place) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 2);
  refuse("update");
  error_of(request<task>(manager, stop_atom::value, ids[1]));
  BOOST_CHECK_EQUAL(status_of(stored(ids[1])), "pending");
  heal();
  BOOST_TEST(drain(host, "dev-1") == ids);
}

BOOST_AUTO_TEST_CASE(refused_delete_keeps_the_task_and_its_run) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  refuse("erase");
  using ids = std::vector<task_id>;
  refused_error_of(error_of(request<ids>(manager, erase_atom::value, ids{id})));
  BOOST_CHECK(exists(id));
  BOOST_CHECK(host.log->cancels.empty());
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, id);
  heal();
  BOOST_TEST(unbox(request<ids>(manager, erase_atom::value, ids{id}))
             == ids{id});
  BOOST_CHECK(!exists(id));
  BOOST_TEST(host.log->cancels == ids{id});
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, 0u);
}

BOOST_AUTO_TEST_CASE(refused_retry_leaves_the_task_failed) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  finish(host, id, false, "boom");
  refuse("update");
  error_of(request<task>(manager, retry_atom::value, id));
  auto t = stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "failed");
  BOOST_CHECK_EQUAL(t.retry_count, 0u);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 1u);
  heal();
  BOOST_CHECK_EQUAL(
    unbox(request<task>(manager, retry_atom::value, id)).retry_count, 1u);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 2u);
}

BOOST_AUTO_TEST_CASE(refused_retry_all_leaves_every_task_failed) {
  auto host = attach("node-a", "dev-1");
  auto ids = create_tasks("dev-1", 2);
  for (auto id : ids)
    finish(host, id, false, "boom");
  refuse("update");
  error_of(request<uint64_t>(manager, retry_all_atom::value));
  for (auto id : ids)
    BOOST_CHECK_EQUAL(status_of(stored(id)), "failed");
  heal();
  BOOST_CHECK_EQUAL(unbox(request<uint64_t>(manager, retry_all_atom::value)),
                    2u);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 3u); // one runs, one queues
}

BOOST_AUTO_TEST_CASE(refused_start_leaves_the_task_pending_and_queued) {
  auto host = attach("node-a", "dev-1");
  refuse("update");
  auto id = create(command_for("dev-1")).at(0);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "pending");
  BOOST_CHECK(host.log->orders.empty());
  BOOST_CHECK_EQUAL(device("dev-1").running_task_id, 0u);
  // Back in its queue a little later, and it runs once the store writes.
  heal();
  advance(3s);
  BOOST_TEST(host.log->ordered_ids() == std::vector<task_id>{id});
  BOOST_CHECK_EQUAL(status_of(stored(id)), "running");
}

BOOST_AUTO_TEST_CASE(refused_result_keeps_the_task_running_until_stored) {
  auto host = attach("node-a", "dev-1");
  auto id = create(command_for("dev-1")).at(0);
  refuse("update");
  finish(host, id, true);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "running");
  BOOST_CHECK_EQUAL(status_of(memory().active.at(id)), "running");
  advance(3s); // tried again, refused again: still running on both sides
  BOOST_CHECK_EQUAL(status_of(stored(id)), "running");
  BOOST_CHECK_GE(faults->refusals, 2u);
  heal();
  advance(3s);
  BOOST_CHECK_EQUAL(status_of(stored(id)), "completed");
  BOOST_CHECK(memory().active.count(id) == 0);
}

BOOST_AUTO_TEST_CASE(refused_registration_attaches_nothing) {
  refuse("device");
  auto host = spawn(recording_host, std::make_shared<host_log>());
  std::vector<device_desc> devs{described("dev-9")};
  auto refused = unbox(request<std::vector<std::string>>(
    manager, register_atom::value, std::string("node-a"), host, devs));
  BOOST_TEST(refused == std::vector<std::string>{"dev-9"});
  BOOST_CHECK(memory().devices.count("dev-9") == 0);
  auto known = db->devices();
  BOOST_CHECK(std::find(known.begin(), known.end(), "dev-9") == known.end());
  heal();
  refused = unbox(request<std::vector<std::string>>(
    manager, register_atom::value, std::string("node-a"), host, devs));
  BOOST_TEST(refused.empty());
  BOOST_CHECK_EQUAL(device("dev-9").state, "online");
}

BOOST_AUTO_TEST_CASE(refused_account_write_keeps_the_registry) {
  attach("node-a", "dev-1");
  refuse("account");
  account a{"@shop", "dev-1", "tiktok", true};
  error_of(request<account>(manager, account_atom::value, a));
  auto all = unbox(request<std::vector<account>>(manager, account_atom::value));
  BOOST_CHECK(std::none_of(all.begin(), all.end(),
                           [](auto& x) { return x.username == "@shop"; }));
  heal();
  unbox(request<account>(manager, account_atom::value, a));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(refused_automatic_retry_is_written_later) {
  task_manager_init init;
  init.retry.max_auto = 1;
  init.retry.delay_min = init.retry.delay_max = 60'000;
  faulty_farm f(init);
  auto host = f.attach("node-a", "dev-1");
  auto id = f.create(command_for("dev-1")).at(0);
  f.refuse("update");
  f.finish(host, id, false, "boom");
  BOOST_CHECK_EQUAL(status_of(f.stored(id)), "running");
  f.heal();
  f.advance(3s);
  auto t = f.stored(id);
  BOOST_CHECK_EQUAL(status_of(t), "pending");
  BOOST_CHECK_EQUAL(t.auto_retry_count, 1u);
  BOOST_CHECK_EQUAL(t.remark, "boom");
  f.advance(61s);
  BOOST_CHECK_EQUAL(host.log->orders.size(), 2u);
}

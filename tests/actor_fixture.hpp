// A deterministic Boost.Test fixture for actor tests: every actor runs on
// CAF's test coordinator and time moves only when the test advances it.
#pragma once

#include "actors/actors.hpp"
#include "actors/root.hpp"
#include "actors/store_actor.hpp"
#include "actors/task_manager.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tmx::test {

/// A data directory of its own for one test; gone with all it holds after.
struct scratch_dir {
  std::filesystem::path path = make();

  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  static std::filesystem::path make() {
    auto pattern = std::filesystem::temp_directory_path() / "tmx-actors-XXXXXX";
    auto text = pattern.string();
    BOOST_REQUIRE_MESSAGE(mkdtemp(text.data()) != nullptr,
                          "cannot create a directory like " << text);
    return text;
  }
};

/// Where a reply lands: empty until the scheduler has delivered it.
template <class T>
using reply_slot = std::shared_ptr<std::optional<caf::expected<T>>>;

/// The value of a reply that must have succeeded.
template <class T>
T unbox(caf::expected<T> x) {
  // Boost.Test builds a message even when the check passes, and an
  // expected that holds a value has no error to read.
  if (!x)
    BOOST_FAIL("request failed: " << to_api_error(x.error()).message);
  return std::move(*x);
}

/// The error of a reply that must have failed.
template <class T>
api_error error_of(const caf::expected<T>& x) {
  BOOST_REQUIRE_MESSAGE(!x, "request succeeded but should have failed");
  return to_api_error(x.error());
}

/// A real store in a scratch directory, its store actor and (once started)
/// a task manager, all on the test coordinator. The manager's clock is the
/// coordinator's clock, so delayed messages and due times agree.
class actor_fixture {
public:
  /// What the manager's clock reads before any time has been advanced.
  static constexpr millis start_time = 1'700'000'000'000;

  using scheduler_type = caf::scheduler::test_coordinator;

  actor_fixture()
    : db(open_store(dir)),
      sys(configure(cfg)),
      sched(dynamic_cast<scheduler_type&>(sys.scheduler())),
      epoch(sched.clock().now()) {
    // Not detached: a detached actor would run on a thread of its own,
    // outside the coordinator's control.
    store = sys.spawn(store_behavior, db);
    own(store);
  }

  ~actor_fixture() {
    for (auto& hdl : owned)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    run();
  }

  actor_fixture(const actor_fixture&) = delete;
  actor_fixture& operator=(const actor_fixture&) = delete;

  // -- driving the coordinator ----------------------------------------------

  /// Delivers messages until no actor has one left. Timeouts stay pending:
  /// only advance() fires them, so time never jumps behind a test's back.
  void run() {
    sched.run();
  }

  /// Delivers messages until `done()` holds (checked after every message)
  /// or nothing is left; true if `done()` held.
  template <class Predicate>
  bool run_until(Predicate done) {
    while (!done())
      if (!sched.try_run_once())
        return false;
    return true;
  }

  /// Moves the clock forward by `span`, firing every timeout that falls due
  /// at its own time and running the messages it causes before the next.
  void advance(caf::timespan span) {
    auto& clk = sched.clock();
    auto until = clk.now() + span;
    run();
    while (clk.has_pending_timeout()
           && clk.schedule().begin()->first <= until) {
      auto due = clk.schedule().begin()->first;
      clk.advance_time(std::max(due - clk.now(), caf::timespan{0}));
      run();
    }
    clk.advance_time(until - clk.now());
    run();
  }

  /// The manager's time: start_time plus the simulated time advanced.
  millis now() const {
    using namespace std::chrono;
    return start_time
           + duration_cast<milliseconds>(sched.clock().now() - epoch).count();
  }

  // -- talking to actors ----------------------------------------------------

  /// Spawns an actor that the fixture shuts down at the end.
  template <class... Ts>
  auto spawn(Ts&&... xs) {
    auto hdl = sys.spawn(std::forward<Ts>(xs)...);
    own(hdl);
    return hdl;
  }

  /// Sends a request from a short-lived actor without running anything;
  /// the slot fills when the reply is delivered.
  template <class T, class Handle, class... Ts>
  reply_slot<T> post(const Handle& dest, Ts... xs) {
    auto slot = std::make_shared<std::optional<caf::expected<T>>>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...)
        .then([=](T& x) { slot->emplace(std::move(x)); },
              [=](caf::error& err) { slot->emplace(std::move(err)); });
    });
    return slot;
  }

  /// Sends a request, runs until idle and returns the reply.
  template <class T, class Handle, class... Ts>
  caf::expected<T> request(const Handle& dest, Ts... xs) {
    auto slot = post<T>(dest, std::move(xs)...);
    run();
    BOOST_REQUIRE_MESSAGE(slot->has_value(), "the request got no reply");
    return std::move(**slot);
  }

  // -- the system under test ------------------------------------------------

  /// Spawns the manager from what recover() reads in the store, as a
  /// server start does.
  void start_manager() {
    task_manager_init init;
    std::string error;
    BOOST_REQUIRE_MESSAGE(recover(*db, init, error), error);
    init.clock = [this] { return now(); };
    manager = spawn(task_manager, store, std::move(init));
    run();
  }

  /// A task as the store holds it now.
  task stored(task_id id) const {
    task t;
    auto e = db->get(id, t);
    BOOST_REQUIRE_MESSAGE(e == store_errc::ok,
                          "task " << id << ": " << to_string(e));
    return t;
  }

  bool exists(task_id id) const {
    task ignored;
    return db->get(id, ignored) == store_errc::ok;
  }

  scratch_dir dir;
  std::shared_ptr<tmx::store> db;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  scheduler_type& sched;
  caf::actor_clock::time_point epoch;
  store_actor store;
  task_manager_actor manager;

private:
  template <class Handle>
  void own(const Handle& hdl) {
    owned.push_back(caf::actor_cast<caf::actor>(hdl));
  }

  static std::shared_ptr<tmx::store> open_store(const scratch_dir& where) {
    std::string error;
    auto s = tmx::store::open({where.path.string(), false, false}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    c.add_message_types<caf::id_block::tmx>();
    return c;
  }

  std::vector<caf::actor> owned;
};

} // namespace tmx::test

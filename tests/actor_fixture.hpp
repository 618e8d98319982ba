// A deterministic Boost.Test fixture for actor tests: every actor runs on
// CAF's test coordinator and time moves only when the test advances it.
#pragma once

#include "actors/actors.hpp"
#include "actors/root.hpp"
#include "actors/store_actor.hpp"
#include "actors/task_manager.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/expected.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tmx {

// Lets Boost.Test print a failed comparison of error codes.
inline std::ostream& operator<<(std::ostream& out, ec e) {
  return out << api_code(e);
}

} // namespace tmx

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
/// a task manager, all on the test coordinator. The manager's clock (which
/// its scheduler shares) is the coordinator's clock, so the scheduler's
/// delayed ticks, request timeouts and due times agree.
class actor_fixture {
public:
  /// What the manager's clock reads before any time has been advanced.
  static constexpr millis start_time = 1'700'000'000'000;

  using scheduler_type = caf::scheduler::test_coordinator;

  /// `sync`: the store as storage.sync opens it (fsync before a reply).
  explicit actor_fixture(bool sync = false)
    : db(open_store(dir, sync)), sys(configure(cfg)),
      sched(dynamic_cast<scheduler_type&>(sys.scheduler())),
      epoch(sched.clock().now()) {
    // Not detached: a detached actor would run on a thread of its own,
    // outside the coordinator's control.
    store = sys.spawn(store_behavior, db, event_hub_actor{});
    own(store);
  }

  ~actor_fixture() {
    invariant = nullptr; // actors that exit no longer hold their state
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
    while (step()) {
      // every message checked in step()
    }
  }

  /// Delivers messages until `done()` holds (checked after every message)
  /// or nothing is left; true if `done()` held.
  template <class Predicate>
  bool run_until(Predicate done) {
    while (!done())
      if (!step())
        return false;
    return true;
  }

  /// Checked after every message that run(), run_until(), advance() and
  /// the requests deliver, while set: a property that no interleaving of
  /// the actors may break.
  std::function<void()> invariant;

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

  /// Spawns the manager from what recover() reads in the store at now(),
  /// as a server start does. `init` carries the node's run policy (retry,
  /// timeout_scale, device_limit); recover() fills in the rest and the
  /// manager (and with it the scheduler) reads the coordinator's clock.
  void start_manager(task_manager_init init = {}) {
    std::string error;
    BOOST_REQUIRE_MESSAGE(recover(*db, now(), init, error), error);
    init.clock = [this] { return now(); };
    auto core = spawn_task_core(sys, store, std::move(init));
    manager = core.manager;
    own(core.manager);
    own(core.timer);
    if (core.limiter)
      own(core.limiter);
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

  /// The log of a task's last run as the store holds it now.
  std::vector<log_line> log_of(task_id id) const {
    std::vector<log_line> lines;
    auto e = db->get_log(id, lines);
    BOOST_REQUIRE_MESSAGE(e == store_errc::ok,
                          "log of task " << id << ": " << to_string(e));
    return lines;
  }

  /// The state of a stateful typed actor, read between two messages (every
  /// actor runs on this thread).
  template <class State, class Handle>
  static State& state_of(const Handle& hdl) {
    using impl = typename Handle::template stateful_base<State>;
    auto ptr = caf::actor_cast<caf::abstract_actor*>(hdl);
    BOOST_REQUIRE_MESSAGE(ptr != nullptr, "no such actor");
    return dynamic_cast<impl&>(*ptr).state;
  }

  /// Delayed messages waiting on the clock. Request timeouts are left out:
  /// CAF 0.17 keeps them there after the reply, until they fire unheard.
  size_t delayed_messages() {
    using clock_type = caf::detail::simple_actor_clock;
    auto& timers = sched.clock().schedule();
    return static_cast<size_t>(
      std::count_if(timers.begin(), timers.end(), [](auto& entry) {
        return entry.second->subtype == clock_type::actor_msg_type;
      }));
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
  /// Delivers one message; false if none was waiting.
  bool step() {
    if (!sched.try_run_once())
      return false;
    if (invariant)
      invariant();
    return true;
  }

  template <class Handle>
  void own(const Handle& hdl) {
    owned.push_back(caf::actor_cast<caf::actor>(hdl));
  }

  static std::shared_ptr<tmx::store> open_store(const scratch_dir& where,
                                                bool sync) {
    std::string error;
    auto s = tmx::store::open({where.path.string(), sync, false}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    tmx::add_message_types(c);
    return c;
  }

  std::vector<caf::actor> owned;
};

/// A pending "post" task as a store may hold it from an earlier run, due at
/// `due` (0 = as soon as possible), queued in id order.
inline task pending_task(task_id id, const std::string& serial,
                         millis due = 0) {
  task t;
  t.id = id;
  t.serial = serial;
  t.script_name = "post";
  t.script_config = "{}";
  t.scheduled_at = due;
  t.created_at = actor_fixture::start_time;
  t.queue_seq = id;
  return t;
}

// -- a farm of devices with hosts that the test plays ------------------------

/// What a recording host was told, in arrival order.
struct host_log {
  struct order {
    run_order what;
    device_actor device; // the sender, which takes the run's result
  };
  std::vector<order> orders;
  std::vector<task_id> cancels;
  int stops = 0; // "end every run" orders

  std::vector<task_id> ordered_ids() const {
    std::vector<task_id> out;
    for (auto& o : orders)
      out.push_back(o.what.t.id);
    return out;
  }
};

/// A device host that runs nothing: it records what it is told and the test
/// plays its runners.
inline device_host_actor::behavior_type
recording_host(device_host_actor::pointer self, std::shared_ptr<host_log> log) {
  return {
    [=](run_atom, run_order& o) {
      auto sender = caf::actor_cast<device_actor>(self->current_sender());
      log->orders.push_back({std::move(o), std::move(sender)});
    },
    [=](cancel_atom, task_id id) { log->cancels.push_back(id); },
    [=](stop_atom) { log->stops += 1; },
    [=](get_atom) { return std::vector<device_desc>{}; },
    [=](attach_atom, const device_report_actor&) {},
    [=](screen_atom, const std::string& serial) { return "png of " + serial; },
  };
}

/// A device of `serial` as its host describes it: online unless `reason`.
inline device_desc described(const std::string& serial,
                             std::string reason = "") {
  device_desc d;
  d.serial = serial;
  d.driver = "adb";
  d.state_reason = std::move(reason);
  return d;
}

struct mock_host {
  device_host_actor hdl;
  std::shared_ptr<host_log> log;
};

/// One run of "post" on `serial`, due now unless `start_at` says later.
inline create_command command_for(const std::string& serial,
                                  millis start_at = 0) {
  create_command cmd;
  cmd.req.serials = {serial};
  cmd.req.script_name = "post";
  cmd.req.start_at = start_at;
  cmd.req.configs = {"{}"};
  return cmd;
}

inline std::string status_of(const task& t) {
  return std::string(status_text(t.status));
}

/// Devices the store knows from an earlier run ("dev-1".."dev-<n>"), all
/// offline until a host registers them. The manager starts when a test
/// says so.
struct farm : actor_fixture {
  explicit farm(int devices = 2) {
    for (int i = 1; i <= devices; ++i)
      BOOST_REQUIRE(db->add_device("dev-" + std::to_string(i))
                    == store_errc::ok);
  }

  std::vector<task_id> create(const create_command& cmd) {
    return unbox(
      request<std::vector<task_id>>(manager, create_atom::value, cmd));
  }

  std::vector<task_id> create_tasks(const std::string& serial, size_t n) {
    std::vector<task_id> ids;
    while (ids.size() < n)
      ids.push_back(create(command_for(serial)).at(0));
    return ids;
  }

  void register_host(const std::string& node, const device_host_actor& host,
                     const std::string& serial) {
    std::vector<device_desc> devs{described(serial)};
    auto refused = unbox(request<std::vector<std::string>>(
      manager, register_atom::value, node, host, devs));
    BOOST_CHECK_MESSAGE(refused.empty(), node << " was refused " << serial);
  }

  mock_host attach(const std::string& node, const std::string& serial) {
    auto log = std::make_shared<host_log>();
    auto hdl = spawn(recording_host, log);
    register_host(node, hdl, serial);
    return {hdl, log};
  }

  /// Plays the runner of `id`: its device gets the result.
  void finish(const mock_host& host, task_id id, bool ok,
              std::string remark = "", std::vector<log_line> lines = {}) {
    auto& orders = host.log->orders;
    auto i = std::find_if(orders.rbegin(), orders.rend(),
                          [=](auto& o) { return o.what.t.id == id; });
    BOOST_REQUIRE_MESSAGE(i != orders.rend(), "task " << id << " never ran");
    caf::anon_send(i->device, done_atom::value,
                   run_result{id, ok, std::move(remark), std::move(lines)});
    run();
  }

  /// Completes the runs one by one as the host gets them, checking that
  /// the device never runs two at once; the ids in the order they ran.
  std::vector<task_id> drain(const mock_host& host, const std::string& serial) {
    auto& orders = host.log->orders;
    for (size_t done = 0; done < orders.size(); ++done) {
      BOOST_CHECK_EQUAL(orders.size(), done + 1);
      auto id = orders[done].what.t.id;
      BOOST_CHECK_EQUAL(device(serial).running_task_id, id);
      finish(host, id, true);
    }
    return host.log->ordered_ids();
  }

  device_info device(const std::string& serial) {
    auto all = unbox(
      request<std::vector<device_info>>(manager, device_atom::value));
    auto i = std::find_if(all.begin(), all.end(),
                          [&](auto& d) { return d.serial == serial; });
    BOOST_REQUIRE_MESSAGE(i != all.end(), "no device " << serial);
    return *i;
  }
};

} // namespace tmx::test

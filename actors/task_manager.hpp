// The task manager: the only writer of task state. Assigns ids, computes
// each transition (model/transitions.hpp), writes it to the store and only
// in the write's reply applies it and tells devices and the scheduler.
#pragma once

#include "actors/account.hpp"
#include "actors/limiter.hpp"
#include "actors/scheduler.hpp"
#include "model/account_registry.hpp"
#include "model/run_policy.hpp"
#include "model/time.hpp"

#include <caf/send.hpp>

#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace tmx {

/// What the manager starts from: read from the store before it is spawned.
struct task_manager_init {
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  millis loaded_until = 0;          // later due times come from the store
  std::vector<std::string> devices; // every serial ever seen
  std::vector<account> accounts;
  std::vector<device_group> groups;
  std::function<millis()> clock; // wall clock unless a test drives it
  retry_policy retry;
  double timeout_scale = 1.0; // runner.timeout-scale
  size_t device_limit = 0;    // 0 = no cap
};

/// The operations waiting for one task, in arrival order: one at a time,
/// so that none computes a transition from a state another one is still
/// writing.
struct task_lane {
  std::deque<std::function<void()>> waiting;
  bool held = false;
};

struct task_manager_state {
  static inline const char* name = "task_manager";
  store_actor db;
  scheduler_actor timer;
  limiter_actor limiter; // invalid when devices are not capped
  std::function<millis()> clock;
  retry_policy retry;
  double timeout_scale = 1.0;
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  /// The running tasks, as stored. Pending tasks live in the store, in
  /// their device queues, which the devices read a slice at a time;
  /// finished ones in the store only.
  std::unordered_map<task_id, task> active;
  std::unordered_map<task_id, task_lane> lanes;
  std::map<std::string, device_actor> devices;
  /// Which live host has each attached serial.
  std::map<std::string, caf::actor_addr> device_hosts;
  std::set<caf::actor_addr> watched_hosts;
  account_registry accounts;
  group_registry groups;
  std::map<std::string, account_actor> gates;
  std::unordered_set<std::string> keys_in_flight;
  std::mt19937_64 rng{std::random_device{}()};
};

/// `timer` and `limiter` (invalid: no device limit) are the manager's
/// collaborators, spawned by whoever spawns it (see spawn_task_core).
task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
             store_actor db, task_manager_init init, scheduler_actor timer,
             limiter_actor limiter);

/// The manager and its collaborators, wired.
struct task_core {
  task_manager_actor manager;
  scheduler_actor timer;
  limiter_actor limiter;
};

/// Spawns the limiter (with a device limit), the scheduler and the manager
/// with `spawner` (an actor system or an actor) and wires them.
template <class Spawner>
task_core spawn_task_core(Spawner& spawner, store_actor db,
                          task_manager_init init) {
  if (!init.clock)
    init.clock = now_millis;
  task_core core;
  if (init.device_limit > 0)
    core.limiter = spawner.spawn(limiter, init.device_limit);
  core.timer = spawner.spawn(scheduler, db, init.clock, init.loaded_until);
  core.manager = spawner.spawn(task_manager, db, std::move(init), core.timer,
                               core.limiter);
  caf::anon_send(core.timer, attach_atom::value,
                 caf::actor_cast<due_sink_actor>(core.manager));
  return core;
}

/// How long an Idempotency-Key protects a create.
constexpr millis idempotency_window = 24 * 3600 * 1000;

} // namespace tmx

// The task manager: the only writer of task state. Assigns ids, applies
// transitions, writes each one to the store and only then announces it to
// devices and clients.
#pragma once

#include "actors/actors.hpp"
#include "model/run_policy.hpp"

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
  std::vector<task> pending;         // due ones, ascending queue_seq
  millis loaded_until = 0;           // later due times come from the store
  std::vector<std::string> devices;  // every serial ever seen
  std::vector<account> accounts;
  std::function<millis()> clock;     // wall clock unless a test drives it
  retry_policy retry;
  double timeout_scale = 1.0;        // runner.timeout-scale
  size_t device_limit = 0;           // 0 = no cap
};

/// A task being read from the store for an operation, and the operations
/// that wait for it (in arrival order, each seeing the previous one's
/// changes).
using task_op = std::function<void(task*, const caf::error&)>;

struct task_load {
  std::vector<task_op> waiting;
  bool erased = false; // deleted while the read was under way
};

struct task_manager_state {
  static inline const char* name = "task_manager";
  store_actor db;
  scheduler_actor timer;
  limiter_actor limiter;
  std::function<millis()> clock;
  retry_policy retry;
  double timeout_scale = 1.0;
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  /// Due pending tasks (in device queues) and running ones. Finished tasks
  /// and pending ones that are not due yet live in the store only.
  std::unordered_map<task_id, task> active;
  std::unordered_map<task_id, task_load> loading;
  std::map<std::string, device_actor> devices;
  /// Which live host has each attached serial.
  std::map<std::string, caf::actor_addr> device_hosts;
  std::set<caf::actor_addr> watched_hosts;
  std::map<std::string, account> accounts;
  std::map<std::string, account_actor> gates;
  std::unordered_set<std::string> keys_in_flight;
  std::mt19937_64 rng{std::random_device{}()};
};

task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
             store_actor db, task_manager_init init);

/// The log of a run ended before its script reported (stopped, interrupted
/// by a restart): what the script printed is gone with the run; the log
/// says where it ran and how it ended.
task_log ended_early(const task& t);

/// How long an Idempotency-Key protects a create.
constexpr millis idempotency_window = 24 * 3600 * 1000;

} // namespace tmx

// The task manager: the only writer of task state. Assigns ids, applies
// transitions, writes each one to the store and only then announces it to
// devices and clients.
#pragma once

#include "actors/actors.hpp"

#include <functional>
#include <map>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace tmx {

/// What the manager starts from: read from the store before it is spawned.
struct task_manager_init {
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  std::vector<task> pending;         // ascending queue_seq
  std::vector<std::string> devices;  // every serial ever seen
  std::vector<account> accounts;
  std::function<millis()> clock;     // wall clock unless a test drives it
};

struct task_manager_state {
  static inline const char* name = "task_manager";
  store_actor db;
  std::function<millis()> clock;
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  /// Pending and running tasks; finished ones live in the store only.
  std::unordered_map<task_id, task> active;
  std::map<std::string, device_actor> devices;
  std::map<std::string, account> accounts;
  /// Pending tasks not yet due, by due time.
  std::multimap<millis, task_id> schedule;
  millis tick_at = 0; // when the armed timer fires, 0 = none armed
  std::unordered_set<std::string> keys_in_flight;
  std::mt19937_64 rng{std::random_device{}()};
};

task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
             store_actor db, task_manager_init init);

/// How long an Idempotency-Key protects a create.
constexpr millis idempotency_window = 24 * 3600 * 1000;

} // namespace tmx

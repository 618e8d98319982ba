// Account actors (one per username) and the device-limit limiter: the two
// gates a task passes before its device may start it.
#pragma once

#include "actors/actors.hpp"

#include <deque>
#include <vector>

namespace tmx {

struct account_state {
  static inline const char* name = "account";
  /// The task running as this account, or the one it is kept for; 0 = free.
  task_id holder = 0;
  /// Refused tasks in the order they first asked, and their devices.
  std::deque<std::pair<task_id, device_actor>> waiters;
};

account_actor::behavior_type
account_gate(account_actor::stateful_pointer<account_state> self);

struct limiter_state {
  static inline const char* name = "limiter";
  size_t limit = 0;
  size_t in_use = 0;
  std::deque<device_actor> waiting; // first come, first served
};

limiter_actor::behavior_type
limiter(limiter_actor::stateful_pointer<limiter_state> self, size_t limit);

} // namespace tmx

// The account gate: one actor per username, so that an account runs one
// task at a time, on whichever device.
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

} // namespace tmx

// The scheduler: wakes pending tasks at their due time (start_time,
// staggering, auto-retry delays). It holds only what falls due within the
// horizon and reads the rest from the store's due index as it comes near.
#pragma once

#include "actors/actors.hpp"

#include <functional>
#include <map>

namespace tmx {

/// How far ahead the scheduler keeps due times in memory.
constexpr millis schedule_horizon = 10 * 60 * 1000;

struct scheduler_state {
  static inline const char* name = "scheduler";
  store_actor db;
  due_sink_actor manager; // invalid until attached
  std::function<millis()> clock;
  std::multimap<millis, task_id> soon;
  millis loaded_until = 0;   // every due time below this is in `soon`
  millis scanning_until = 0; // a store scan up to here is under way
  millis tick_at = 0;        // when the armed timer fires, 0 = none
};

/// `loaded_from`: due times below it are already queued by the manager.
/// Starts reading the store once it knows where to send what falls due.
scheduler_actor::behavior_type
scheduler(scheduler_actor::stateful_pointer<scheduler_state> self,
          store_actor db, std::function<millis()> clock, millis loaded_from);

} // namespace tmx

// The schedule keeper: the schedules (each change stored before it is
// acted on), and at each of their slots the create of their tasks, sent to
// the task manager as a client's would be. It holds each schedule's next
// firing only and sleeps until the earliest one; at start-up it fires,
// once, a slot missed while the server was down if it is younger than
// schedule.catch-up.
#pragma once

#include "actors/actors.hpp"

#include <deque>
#include <functional>
#include <map>

namespace tmx {

/// The keeper sleeps at most this long at a time: its timer runs on the
/// steady clock, slots on the wall clock, and the two may drift apart by
/// up to 500 ppm (NTP slewing) over a sleep.
constexpr millis schedule_max_sleep = 10 * 60 * 1000;

/// While the server runs, a timer that comes this late still fires its
/// slot, whatever schedule.catch-up says (a busy or suspended machine).
constexpr millis schedule_grace = 60 * 1000;

/// The default of schedule.catch-up.
constexpr millis default_catch_up = 10 * 60 * 1000;

struct schedule_keeper_init {
  std::vector<schedule> schedules; // as stored
  millis catch_up = default_catch_up;
  std::function<millis()> clock; // the wall clock unless a test drives it
};

/// One schedule as the keeper holds it.
struct schedule_entry {
  schedule rec;       // as stored; next_run_at is its next firing
  millis handled = 0; // every slot up to here fired or was given up
};

/// The operations waiting for one schedule, in arrival order: one at a
/// time, so that a firing's record never overwrites an edit or revives a
/// deleted schedule.
struct schedule_lane {
  std::deque<std::function<void()>> waiting;
  bool held = false;
};

struct schedule_keeper_state {
  static inline const char* name = "schedule_keeper";
  store_actor db;
  task_manager_actor manager;
  std::function<millis()> clock;
  millis catch_up = default_catch_up;
  std::map<uint64_t, schedule_entry> entries;
  std::map<uint64_t, schedule_lane> lanes;
  millis tick_at = 0; // when the armed timer fires, 0 = none
};

schedule_keeper_actor::behavior_type schedule_keeper(
  schedule_keeper_actor::stateful_pointer<schedule_keeper_state> self,
  store_actor db, task_manager_actor manager, schedule_keeper_init init);

} // namespace tmx

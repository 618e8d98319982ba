// The device-limit limiter: caps how many devices run a task at once (the
// license's device_limit), granting slots first come, first served.
#pragma once

#include "actors/actors.hpp"

#include <deque>

namespace tmx {

struct limiter_state {
  static inline const char* name = "limiter";
  size_t limit = 0;
  size_t in_use = 0;
  std::deque<device_actor> waiting; // first come, first served
};

limiter_actor::behavior_type
limiter(limiter_actor::stateful_pointer<limiter_state> self, size_t limit);

} // namespace tmx

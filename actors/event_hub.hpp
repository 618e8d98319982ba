// The event hub: receives the events the store actor has written, keeps
// the newest ones in a ring for clients that resume (Last-Event-ID), and
// hands every batch to its sinks (SSE streams, webhook senders) without
// ever waiting for one.
#pragma once

#include "actors/actors.hpp"

#include <caf/timespan.hpp>

#include <chrono>
#include <deque>
#include <vector>

namespace tmx {

struct event_hub_options {
  size_t ring = 10000; // events held for resumption
  caf::timespan keep_alive = std::chrono::seconds(15);
};

struct event_hub_state {
  static inline const char* name = "event-hub";
  event_hub_options opts;
  std::deque<event_batch_ptr> ring; // ascending ids, contiguous
  size_t held = 0;                  // events in the ring
  uint64_t last_id = 0;             // the newest event published (0: none)
  std::vector<event_sink_ptr> sinks;
  bool stopped = false; // after shutdown: no new sinks
};

/// `held`: the newest stored events, ascending (the store's last ones at
/// start-up); `last_id`: the store's last event id.
event_hub_actor::behavior_type
event_hub(event_hub_actor::stateful_pointer<event_hub_state> self,
          std::vector<event> held, uint64_t last_id, event_hub_options opts);

/// A batch of events as the sinks get it (their SSE text rendered once).
event_batch_ptr make_batch(std::vector<event> events);

} // namespace tmx

// The store actor: a detached actor that owns the RocksDB store and
// serialises every read and write to it.
#pragma once

#include "actors/actors.hpp"
#include "storage/store.hpp"

#include <memory>

namespace tmx {

struct store_state {
  static inline const char* name = "store";
  std::shared_ptr<store> db;
  event_hub_actor hub;    // where written events go (none in some tests)
  uint64_t next_trim = 0; // the event id at which trimming is considered
};

/// The events the store keeps at least (the hub's ring, loaded at start).
constexpr uint64_t kept_events = 10000;

/// The store actor; the events of every write go to `hub` after it.
store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db, event_hub_actor hub);

} // namespace tmx

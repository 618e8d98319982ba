// The store actor: a detached actor that owns the RocksDB store and
// serialises every read and write to it.
#pragma once

#include "actors/actors.hpp"
#include "storage/store.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace tmx {

struct store_state {
  static inline const char* name = "store";
  std::shared_ptr<store> db;
  event_hub_actor hub;    // where written events go (none in some tests)
  uint64_t next_trim = 0; // the event id at which trimming is considered
  bool flush_due = false; // a publish_atom to itself is on its way
  // Group commit (storage.sync): the replies to writes that wait for the
  // next fsync, and whether a sync_atom to itself is on its way.
  std::vector<std::function<void(const caf::error&)>> unsynced_acks;
  bool sync_due = false;
  // Grouped writes: the inserts and updates of a mailbox sweep wait for a
  // create_atom to itself and are written together (store::write_group),
  // or sooner, before any other message is handled. Their replies after.
  struct waiting_write {
    caf::typed_response_promise<ok_atom> reply;
    const char* what;    // for the log: "insert", "update", ...
    bool firing = false; // not_found: the schedule is gone
  };
  std::vector<store::task_write> writes;
  std::vector<waiting_write> waiting;
  bool write_due = false; // a create_atom to itself is on its way
};

/// Events wait at most this long in the store actor before they go to the
/// hub together, unless this many wait.
constexpr auto publish_delay = std::chrono::milliseconds(1);
constexpr size_t publish_batch = 512;

/// The events the store keeps at least (the hub's ring, loaded at start).
constexpr uint64_t kept_events = 10000;

/// The store actor; the events of every write go to `hub` after it.
store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db, event_hub_actor hub);

} // namespace tmx

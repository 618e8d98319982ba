// Retention (storage.retention): an actor that asks the store, now and
// then, to delete the completed and failed tasks older than the retention
// period, a small batch per request, so that API requests in the store's
// mailbox are served between batches.
#pragma once

#include "actors/actors.hpp"

#include <caf/typed_actor.hpp>

#include <chrono>
#include <functional>

namespace tmx {

using retention_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

/// Tasks deleted per store request.
constexpr uint32_t retention_batch = 256;

struct retention_state {
  static inline const char* name = "retention";
  store_actor db;
  millis keep = 0; // storage.retention
  std::function<millis()> clock;
  caf::timespan pause{}; // between sweeps that found nothing more
};

/// The pause between sweeps: a tenth of the retention period, between a
/// second and a minute.
caf::timespan retention_pause(millis keep);

/// Sweeps at once, then after every pause; `clock` is the wall clock
/// unless a test drives it.
retention_actor::behavior_type
retention(retention_actor::stateful_pointer<retention_state> self,
          store_actor db, millis keep, std::function<millis()> clock);

} // namespace tmx

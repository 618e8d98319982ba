#include "actors/retention.hpp"

#include "actors/timeouts.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

caf::timespan retention_pause(millis keep) {
  auto tenth = std::chrono::milliseconds(keep / 10);
  return std::clamp<caf::timespan>(tenth, std::chrono::seconds(1),
                                   std::chrono::minutes(1));
}

retention_actor::behavior_type
retention(retention_actor::stateful_pointer<retention_state> self,
          store_actor db, millis keep, std::function<millis()> clock) {
  auto& st = self->state;
  st.db = std::move(db);
  st.keep = keep;
  st.clock = std::move(clock);
  st.pause = retention_pause(keep);
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& st = self->state;
      self
        ->request(st.db, request_timeout, expire_atom::value,
                  st.clock() - st.keep, retention_batch)
        .then(
          [=](uint64_t removed, bool more) {
            if (removed > 0)
              spdlog::debug("retention: {} finished tasks deleted", removed);
            if (more) // the next batch behind what the store has waiting
              self->send(self, tick_atom::value);
            else
              self->delayed_send(self, self->state.pause, tick_atom::value);
          },
          [=](caf::error& err) {
            spdlog::warn("retention: old tasks not deleted this time: {}",
                         to_string(err));
            self->delayed_send(self, self->state.pause, tick_atom::value);
          });
    },
  };
}

} // namespace tmx

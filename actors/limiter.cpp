#include "actors/limiter.hpp"

#include <caf/actor_cast.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tmx {

limiter_actor::behavior_type
limiter(limiter_actor::stateful_pointer<limiter_state> self, size_t limit) {
  self->state.limit = limit;
  return {
    [=](acquire_atom) {
      auto& st = self->state;
      auto dev = caf::actor_cast<device_actor>(self->current_sender());
      if (st.in_use < st.limit) {
        ++st.in_use;
        self->send(dev, slot_atom::value);
        return;
      }
      st.waiting.push_back(dev);
    },
    [=](release_atom) {
      auto& st = self->state;
      if (st.waiting.empty()) {
        if (st.in_use > 0)
          --st.in_use;
        return;
      }
      // The slot passes straight to the device that waited longest.
      self->send(st.waiting.front(), slot_atom::value);
      st.waiting.pop_front();
    },
  };
}

} // namespace tmx

#include "actors/account.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace tmx {

account_actor::behavior_type
account_gate(account_actor::stateful_pointer<account_state> self) {
  return {
    [=](acquire_atom, task_id id) {
      auto& st = self->state;
      if (st.holder == 0 || st.holder == id) {
        st.holder = id;
        return true;
      }
      auto dev = caf::actor_cast<device_actor>(self->current_sender());
      if (dev && std::find(st.waiters.begin(), st.waiters.end(), dev)
                   == st.waiters.end())
        st.waiters.push_back(dev);
      return false;
    },
    [=](release_atom, task_id id) {
      auto& st = self->state;
      if (st.holder != id)
        return;
      st.holder = 0;
      // Every waiter tries again; the first to ask gets it, the others
      // wait once more.
      for (auto& w : st.waiters)
        self->send(w, wake_atom::value);
      st.waiters.clear();
    },
  };
}

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

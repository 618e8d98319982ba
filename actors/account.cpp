#include "actors/account.hpp"

#include <caf/actor_cast.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

namespace tmx {

account_actor::behavior_type
account_gate(account_actor::stateful_pointer<account_state> self) {
  return {
    [=](acquire_atom, task_id id) {
      auto& st = self->state;
      auto i = std::find_if(st.waiters.begin(), st.waiters.end(),
                            [=](auto& w) { return w.first == id; });
      if (st.holder == 0 || st.holder == id) {
        st.holder = id;
        if (i != st.waiters.end())
          st.waiters.erase(i);
        return true;
      }
      if (i == st.waiters.end())
        st.waiters.emplace_back(id, caf::actor_cast<device_actor>(
                                      self->current_sender()));
      return false;
    },
    [=](release_atom, task_id id) {
      auto& st = self->state;
      // Also sent for a waiting task that left its queue.
      st.waiters.erase(std::remove_if(st.waiters.begin(), st.waiters.end(),
                                      [=](auto& w) { return w.first == id; }),
                       st.waiters.end());
      if (st.holder != id)
        return;
      st.holder = 0;
      // Kept for the task that waited longest; its device is woken.
      if (st.waiters.empty())
        return;
      st.holder = st.waiters.front().first;
      self->send(st.waiters.front().second, wake_atom::value);
      st.waiters.pop_front();
    },
  };
}

} // namespace tmx

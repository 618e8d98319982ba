#include "actors/scheduler.hpp"

#include "actors/timeouts.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace tmx {

namespace {

using scheduler_ptr = scheduler_actor::stateful_pointer<scheduler_state>;

void arm(scheduler_ptr self, millis at) {
  auto& st = self->state;
  if (st.tick_at != 0 && st.tick_at <= at)
    return;
  st.tick_at = at;
  auto delay = std::max<millis>(0, at - st.clock());
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

void refill(scheduler_ptr self, millis now);

/// Hands what is due to the manager, refills from the store when the
/// loaded window runs short, and arms the timer for what comes next.
void tick(scheduler_ptr self) {
  auto& st = self->state;
  st.tick_at = 0;
  auto now = st.clock();
  std::vector<task_id> due;
  while (!st.soon.empty() && st.soon.begin()->first <= now) {
    due.push_back(st.soon.begin()->second);
    st.soon.erase(st.soon.begin());
  }
  if (!due.empty())
    self->send(st.manager, due_atom::value, std::move(due));
  if (st.scanning_until == 0 && now + schedule_horizon / 2 >= st.loaded_until)
    refill(self, now);
  auto next = st.loaded_until - schedule_horizon / 2;
  if (!st.soon.empty())
    next = std::min(next, st.soon.begin()->first);
  arm(self, std::max(next, now + 1));
}

void refill(scheduler_ptr self, millis now) {
  auto& st = self->state;
  st.scanning_until = now + schedule_horizon;
  self
    ->request(st.db, request_timeout, due_atom::value, st.loaded_until,
              st.scanning_until)
    .then(
      [=](std::vector<due_entry>& entries) {
        auto& st = self->state;
        for (auto& e : entries)
          st.soon.emplace(e.due, e.id);
        st.loaded_until = st.scanning_until;
        st.scanning_until = 0;
        tick(self);
      },
      [=](caf::error& err) {
        spdlog::error("scheduler: reading due tasks failed: {}",
                      to_api_error(err).message);
        self->state.scanning_until = 0; // the next tick tries again
      });
}

} // namespace

scheduler_actor::behavior_type scheduler(scheduler_ptr self, store_actor db,
                                         std::function<millis()> clock,
                                         millis loaded_from) {
  auto& st = self->state;
  st.db = std::move(db);
  st.clock = std::move(clock);
  st.loaded_until = loaded_from;
  return {
    [=](attach_atom, due_sink_actor& manager) {
      bool first = !self->state.manager;
      self->state.manager = std::move(manager);
      if (first)
        tick(self);
    },
    [=](due_atom, task_id id, millis due) {
      auto& st = self->state;
      // Beyond the loaded window the store scan will find it in time.
      if (due >= std::max(st.loaded_until, st.scanning_until))
        return;
      st.soon.emplace(due, id);
      arm(self, due);
    },
    [=](tick_atom) {
      // A timer armed before the current one still fires: not this one.
      auto& st = self->state;
      if (!st.manager || (st.tick_at != 0 && st.clock() < st.tick_at))
        return;
      tick(self);
    },
  };
}

} // namespace tmx

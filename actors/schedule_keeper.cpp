// The schedule keeper (see schedule_keeper.hpp). Its one timer is armed
// for the earliest next firing; each operation on a schedule runs in the
// schedule's lane, a firing until the task manager has stored its tasks
// and the record of it in one batch.
#include "actors/schedule_keeper.hpp"

#include "actors/timeouts.hpp"
#include "model/schedule_time.hpp"
#include "model/time.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace tmx {

namespace {

using keeper_ptr
  = schedule_keeper_actor::stateful_pointer<schedule_keeper_state>;
using ids = std::vector<task_id>;
using fired_fn = std::function<void(const caf::error&, const ids&)>;

caf::error no_such_schedule() {
  return make_error(ec::not_found, "no such schedule");
}

/// A refusal of a schedule's create names the field in its task body.
caf::error about_task(const caf::error& err) {
  auto api = to_api_error(err);
  if (api.code != ec::invalid_params && api.code != ec::missing_script
      && api.code != ec::script_unavailable)
    return err;
  api = task_error(std::move(api));
  return make_error(api.code, api.message);
}

// -- lanes --------------------------------------------------------------------

void lock(keeper_ptr self, uint64_t id, std::function<void()> op) {
  auto& lane = self->state.lanes[id];
  if (lane.held) {
    lane.waiting.push_back(std::move(op));
    return;
  }
  lane.held = true;
  op();
}

void unlock(keeper_ptr self, uint64_t id) {
  auto i = self->state.lanes.find(id);
  if (i == self->state.lanes.end())
    return;
  if (i->second.waiting.empty()) {
    self->state.lanes.erase(i);
    return;
  }
  auto op = std::move(i->second.waiting.front());
  i->second.waiting.pop_front();
  op();
}

// -- the timer ----------------------------------------------------------------

void arm(keeper_ptr self) {
  auto& st = self->state;
  millis earliest = 0;
  for (auto& [id, e] : st.entries)
    if (e.rec.next_run_at != 0
        && (earliest == 0 || e.rec.next_run_at < earliest))
      earliest = e.rec.next_run_at;
  if (earliest == 0)
    return;
  auto now = st.clock();
  auto at = std::min(earliest, now + schedule_max_sleep);
  if (st.tick_at != 0 && st.tick_at <= at)
    return;
  st.tick_at = at;
  auto delay = std::max<millis>(0, at - now);
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

/// The next firing of `e` after `from`, 0 when it is disabled.
millis next_of(const schedule_entry& e, millis from) {
  return e.rec.enabled ? next_slot(e.rec, from) : 0;
}

// -- firing -------------------------------------------------------------------

/// Creates the tasks of schedule `id` for `slot` (0: a run, outside its
/// slots) through the manager; `done` gets the error or the ids. Runs in
/// the schedule's lane and ends it.
void fire(keeper_ptr self, uint64_t id, millis slot, fired_fn done) {
  auto& st = self->state;
  auto i = st.entries.find(id);
  // A slot whose schedule was deleted, disabled or given other times
  // while it waited for the lane is no longer owed.
  if (i == st.entries.end()
      || (slot != 0
          && (!i->second.rec.enabled || slot <= i->second.rec.armed_at))) {
    unlock(self, id);
    return done(no_such_schedule(), {});
  }
  auto now = st.clock();
  create_command cmd;
  if (auto err = schedule_create_request(i->second.rec.task, now, cmd.req)) {
    unlock(self, id);
    return done(make_error(err.code, err.message), {});
  }
  cmd.source = "schedule";
  cmd.firing = i->second.rec;
  cmd.firing.next_run_at = 0;
  cmd.firing.last_run_at = now;
  if (slot != 0)
    cmd.firing.last_slot = slot;
  self->request(st.manager, request_timeout, create_atom::value, cmd)
    .then(
      [=](ids& created) {
        if (auto j = self->state.entries.find(id);
            j != self->state.entries.end()) {
          auto& rec = j->second.rec;
          rec.last_run_at = now;
          rec.last_slot = std::max(rec.last_slot, slot);
          rec.last_task_ids = created;
        }
        unlock(self, id);
        done({}, created);
      },
      [=](caf::error& err) {
        // Whether or not it was stored (a timeout cannot tell), the slot
        // is never tried again: at most once.
        if (auto j = self->state.entries.find(id);
            j != self->state.entries.end())
          j->second.rec.last_slot = std::max(j->second.rec.last_slot, slot);
        unlock(self, id);
        done(about_task(err), {});
      });
}

/// Fires `slot` of schedule `id` in its lane, and logs how it went.
void fire_slot(keeper_ptr self, uint64_t id, millis slot, bool catching_up) {
  auto name = self->state.entries.at(id).rec.name;
  lock(self, id, [=] {
    fire(self, id, slot, [=](const caf::error& err, const ids& created) {
      auto when = format_time(slot);
      if (err && to_api_error(err).code == ec::not_found)
        spdlog::debug("schedule {}: slot {} no longer owed", id, when);
      else if (err)
        spdlog::warn("schedule {} ('{}'): slot {} not fired: {}", id, name,
                     when, to_api_error(err).message);
      else
        spdlog::info("schedule {} ('{}'): slot {}{} fired: {} tasks", id, name,
                     when,
                     catching_up ? " (missed while the server was down)" : "",
                     created.size());
    });
  });
}

/// Fires (or gives up) what each schedule owes at `now`, and moves each
/// one that owed something on to its next firing. At start-up a slot
/// missed while the server was down is owed if younger than catch-up.
void settle(keeper_ptr self, millis now, bool starting) {
  auto& st = self->state;
  auto window = starting ? st.catch_up : std::max(st.catch_up, schedule_grace);
  for (auto& [id, e] : st.entries) {
    if (e.rec.next_run_at == 0 || e.rec.next_run_at > now)
      continue;
    auto o = owed(e.rec, e.handled, now, window);
    e.handled = now;
    e.rec.next_run_at = next_of(e, now);
    if (o.fire)
      fire_slot(self, id, o.slot, starting);
    else if (o.slot != 0)
      spdlog::warn("schedule {} ('{}'): slot {} skipped: missed {} ms ago, "
                   "not less than {} ({} ms)",
                   id, e.rec.name, format_time(o.slot), now - o.slot,
                   starting ? "schedule.catch-up" : "the grace of a late timer",
                   window);
  }
}

// -- changes ------------------------------------------------------------------

/// Checks a task body as its create would be checked now (a dry run at the
/// manager); `then` gets the error, none when it passes.
void check_task(keeper_ptr self, const std::string& task,
                std::function<void(const caf::error&)> then) {
  create_command cmd;
  if (auto err = schedule_create_request(task, self->state.clock(), cmd.req))
    return then(make_error(err.code, err.message));
  cmd.source = "schedule";
  cmd.dry_run = true;
  self->request(self->state.manager, request_timeout, create_atom::value, cmd)
    .then([=](ids&) { then({}); },
          [=](caf::error& err) { then(about_task(err)); });
}

/// Stores `s` (a new one gets its id) and takes it over as it was stored;
/// `rules_changed`: its slots start anew at `now`.
void store_schedule(keeper_ptr self, schedule s, bool rules_changed, millis now,
                    caf::typed_response_promise<schedule> rp,
                    std::function<void()> finally) {
  self->request(self->state.db, request_timeout, schedule_atom::value, s)
    .then(
      [=](schedule& stored) mutable {
        auto& e = self->state.entries[stored.id];
        auto next = e.rec.next_run_at;
        e.rec = std::move(stored);
        if (rules_changed) {
          e.handled = now;
          next = next_of(e, now);
        }
        e.rec.next_run_at = next;
        arm(self);
        rp.deliver(e.rec);
        finally();
      },
      [=](caf::error& err) mutable {
        rp.deliver(err);
        finally();
      });
}

void create(keeper_ptr self, schedule s,
            caf::typed_response_promise<schedule> rp) {
  auto now = self->state.clock();
  s.id = 0;
  s.created_at = s.armed_at = now;
  s.last_slot = s.last_run_at = s.next_run_at = 0;
  s.last_task_ids.clear();
  check_task(self, s.task, [=](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      store_schedule(self, s, true, now, rp, [] {});
  });
}

void update(keeper_ptr self, schedule_patch p,
            caf::typed_response_promise<schedule> rp) {
  auto id = p.id;
  lock(self, id, [=]() mutable {
    auto i = self->state.entries.find(id);
    if (i == self->state.entries.end()) {
      rp.deliver(no_such_schedule());
      return unlock(self, id);
    }
    auto s = i->second.rec;
    auto now = self->state.clock();
    bool rules = apply_patch(p, s);
    if (rules)
      s.armed_at = now;
    auto finally = [=] { unlock(self, id); };
    if (!p.has(schedule_patch::task) || s.task == i->second.rec.task)
      return store_schedule(self, s, rules, now, rp, finally);
    check_task(self, s.task, [=](const caf::error& err) mutable {
      if (!err)
        return store_schedule(self, s, rules, now, rp, finally);
      rp.deliver(err);
      finally();
    });
  });
}

void erase(keeper_ptr self, uint64_t id,
           caf::typed_response_promise<ok_atom> rp) {
  lock(self, id, [=]() mutable {
    if (self->state.entries.count(id) == 0) {
      rp.deliver(no_such_schedule());
      return unlock(self, id);
    }
    self
      ->request(self->state.db, request_timeout, schedule_atom::value,
                erase_atom::value, id)
      .then(
        [=](ok_atom) mutable {
          self->state.entries.erase(id);
          rp.deliver(ok_atom::value);
          unlock(self, id);
        },
        [=](caf::error& err) mutable {
          rp.deliver(err);
          unlock(self, id);
        });
  });
}

} // namespace

schedule_keeper_actor::behavior_type
schedule_keeper(keeper_ptr self, store_actor db, task_manager_actor manager,
                schedule_keeper_init init) {
  auto& st = self->state;
  st.db = std::move(db);
  st.manager = std::move(manager);
  st.clock = init.clock ? std::move(init.clock) : now_millis;
  st.catch_up = init.catch_up;
  for (auto& s : init.schedules) {
    schedule_entry e{std::move(s), 0};
    e.handled = handled_until(e.rec);
    e.rec.next_run_at = next_of(e, e.handled);
    st.entries.emplace(e.rec.id, std::move(e));
  }
  settle(self, st.clock(), true);
  arm(self);
  return {
    [=](schedule_atom, schedule& s) -> caf::result<schedule> {
      auto rp = self->make_response_promise<schedule>();
      create(self, std::move(s), rp);
      return rp;
    },
    [=](schedule_atom, update_atom,
        schedule_patch& p) -> caf::result<schedule> {
      auto rp = self->make_response_promise<schedule>();
      update(self, std::move(p), rp);
      return rp;
    },
    [=](schedule_atom) {
      std::vector<schedule> out;
      for (auto& [id, e] : self->state.entries)
        out.push_back(e.rec);
      return out;
    },
    [=](schedule_atom, uint64_t id) -> caf::result<schedule> {
      auto i = self->state.entries.find(id);
      if (i == self->state.entries.end())
        return no_such_schedule();
      return i->second.rec;
    },
    [=](schedule_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      auto rp = self->make_response_promise<ok_atom>();
      erase(self, id, rp);
      return rp;
    },
    [=](schedule_atom, run_atom, uint64_t id) -> caf::result<ids> {
      auto rp = self->make_response_promise<ids>();
      lock(self, id, [=]() mutable {
        fire(self, id, 0,
             [=](const caf::error& err, const ids& created) mutable {
               if (err)
                 rp.deliver(err);
               else
                 rp.deliver(created);
             });
      });
      return rp;
    },
    [=](tick_atom) {
      // A timer armed before the current one still fires: not this one.
      auto& st = self->state;
      auto now = st.clock();
      if (st.tick_at != 0 && now < st.tick_at)
        return;
      st.tick_at = 0;
      settle(self, now, false);
      arm(self);
    },
  };
}

} // namespace tmx

// The task manager's lanes, writes and queue admission (see
// task_manager_ops.hpp).
#include "actors/task_manager_ops.hpp"

#include "actors/device.hpp"

#include <caf/actor_cast.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <memory>

namespace tmx::manager {

namespace {

void next_in_lane(manager_ptr self, task_id id) {
  auto& lanes = self->state.lanes;
  auto i = lanes.find(id);
  if (i == lanes.end())
    return;
  if (i->second.waiting.empty()) {
    lanes.erase(i);
    return;
  }
  i->second.held = true;
  auto op = std::move(i->second.waiting.front());
  i->second.waiting.pop_front();
  op(); // may unlock at once, and so run the next one
}

} // namespace

account_actor gate(manager_ptr self, const std::string& username) {
  if (username.empty())
    return {};
  auto& slot = self->state.gates[username];
  if (!slot)
    slot = self->spawn<caf::linked>(account_gate);
  return slot;
}

void lock(manager_ptr self, task_id id, std::function<void()> op) {
  auto& lane = self->state.lanes[id];
  lane.waiting.push_back(std::move(op));
  if (!lane.held)
    next_in_lane(self, id);
}

void unlock(manager_ptr self, task_id id) {
  auto i = self->state.lanes.find(id);
  if (i == self->state.lanes.end())
    return;
  i->second.held = false;
  next_in_lane(self, id);
}

void lock_all(manager_ptr self, std::vector<task_id> ids,
              std::function<void()> op) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.empty()) {
    op();
    return;
  }
  // Every lane is joined in this one step, so lanes are taken in one global
  // order and two multi-task operations never wait for each other.
  auto missing = std::make_shared<size_t>(ids.size());
  for (auto id : ids)
    lock(self, id, [missing, op] {
      if (--*missing == 0)
        op();
    });
}

void unlock_all(manager_ptr self, const std::vector<task_id>& ids) {
  auto unique = ids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  for (auto id : unique)
    unlock(self, id);
}

void with_task(manager_ptr self, task_id id, task_op op) {
  lock(self, id, [=] {
    auto done = [=] { unlock(self, id); };
    auto& active = self->state.active;
    if (auto i = active.find(id); i != active.end()) {
      auto current = i->second; // a copy: memory changes after the write
      op(&current, caf::error{}, done);
      return;
    }
    self->request(self->state.db, request_timeout, get_atom::value, id)
      .then([=](task& t) { op(&t, caf::error{}, done); },
            [=](caf::error& err) { op(nullptr, err, done); });
  });
}

void write(manager_ptr self, std::vector<task> tasks,
           std::vector<task_log> logs, std::function<void()> then,
           std::function<void(const caf::error&)> failed) {
  self
    ->request(self->state.db, request_timeout, update_atom::value,
              std::move(tasks), std::move(logs))
    .then([=](ok_atom) { then(); }, [=](caf::error& err) { failed(err); });
}

task_manager_actor handle(manager_ptr self) {
  return caf::actor_cast<task_manager_actor>(self);
}

device_actor& spawn_device(manager_ptr self, const std::string& serial) {
  auto& slot = self->state.devices[serial];
  if (slot)
    return slot;
  slot = self->spawn<caf::linked>(device, serial, handle(self),
                                  self->state.limiter, self->state.db);
  if (auto names = self->state.groups.of(serial); !names.empty())
    self->send(slot, group_atom::value, std::move(names));
  return slot;
}

void admit(manager_ptr self, const task& t) {
  auto& st = self->state;
  if (t.scheduled_at > st.clock()) {
    self->send(st.timer, due_atom::value, t.id, t.scheduled_at);
    return;
  }
  self->send(spawn_device(self, t.serial), enqueue_atom::value, t.id,
             t.queue_seq, gate(self, t.username));
}

void withdraw(manager_ptr self, task_id id, const std::string& serial) {
  auto& st = self->state;
  auto i = st.active.find(id);
  if (i != st.active.end()) { // running
    if (auto dev = st.devices.find(i->second.serial); dev != st.devices.end())
      self->send(dev->second, cancel_atom::value, id);
    st.active.erase(i);
    return;
  }
  // Pending: its device lets go of it if it holds it; a device that holds
  // it unknown to us finds it gone when it tries to start it.
  if (auto dev = st.devices.find(serial); dev != st.devices.end())
    self->send(dev->second, dequeue_atom::value, id);
}

void read_queue(manager_ptr self, const std::string& serial, uint64_t after,
                uint32_t limit, caf::typed_response_promise<queue_slice> rp) {
  self
    ->request(self->state.db, request_timeout, queue_atom::value, serial, after,
              limit)
    .then(
      [=](std::vector<queued_entry>& entries) mutable {
        queue_slice s;
        s.more = entries.size() >= limit;
        auto now = self->state.clock();
        for (auto& e : entries) {
          s.last = e.seq;
          // Not due yet: the scheduler wakes it, and then it moves to the
          // end of the queue (wake).
          if (e.scheduled_at > now)
            continue;
          s.ids.push_back(e.id);
          s.seqs.push_back(e.seq);
          s.accounts.push_back(gate(self, e.username));
        }
        rp.deliver(std::move(s));
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

} // namespace tmx::manager

#include "actors/device.hpp"

#include "actors/timeouts.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace tmx {

namespace {

using device_ptr = device_actor::stateful_pointer<device_state>;

void try_start(device_ptr self) {
  auto& st = self->state;
  if (!st.online || st.running != 0 || st.starting || st.queue.empty())
    return;
  auto id = st.queue.front();
  st.queue.pop_front();
  st.running = id;
  st.starting = true;
  self->request(st.manager, request_timeout, start_atom::value, id, st.serial,
                st.node)
    .then(
      [=](task& t) {
        auto& st = self->state;
        st.starting = false;
        // Cancelled while the manager wrote the start: already settled.
        if (st.running != id) {
          try_start(self);
          return;
        }
        // The host went away meanwhile: the task is stored running and
        // only this device knows that it never reached a host.
        if (!st.online) {
          st.running = 0;
          self->send(st.manager, done_atom::value,
                     run_result{id, false, "device host lost"});
          return;
        }
        self->send(st.host, run_atom::value,
                   run_order{std::move(t), st.serial});
      },
      [=](caf::error&) {
        // Not startable (stopped or deleted meanwhile): take the next one.
        self->state.starting = false;
        if (self->state.running == id)
          self->state.running = 0;
        try_start(self);
      });
}

/// The running task is over for this device, whatever its outcome.
void release(device_ptr self) {
  self->state.running = 0;
  try_start(self);
}

} // namespace

device_actor::behavior_type device(device_ptr self, std::string serial,
                                   task_manager_actor manager) {
  self->state.serial = std::move(serial);
  self->state.manager = std::move(manager);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source != st.host.address())
      return;
    spdlog::warn("device {}: host on node '{}' lost", st.serial, st.node);
    st.online = false;
    // A start still being written is settled when its reply arrives.
    if (st.running == 0 || st.starting)
      return;
    self->send(st.manager, done_atom::value,
               run_result{st.running, false, "device host lost"});
    st.running = 0;
  });
  return {
    [=](enqueue_atom, task_id id) {
      self->state.queue.push_back(id);
      try_start(self);
    },
    [=](dequeue_atom, task_id id) {
      auto& q = self->state.queue;
      q.erase(std::remove(q.begin(), q.end(), id), q.end());
    },
    [=](cancel_atom, task_id id) {
      auto& st = self->state;
      if (st.running != id)
        return;
      if (!st.starting && st.host)
        self->send(st.host, cancel_atom::value, id);
      release(self);
    },
    [=](attach_atom, device_host_actor host, std::string node) {
      auto& st = self->state;
      if (st.host && st.host != host)
        self->demonitor(st.host.address());
      self->monitor(host);
      st.host = std::move(host);
      st.node = std::move(node);
      st.online = true;
      try_start(self);
    },
    [=](done_atom, run_result& r) {
      auto& st = self->state;
      if (r.id != st.running || st.starting)
        return; // a late result of a cancelled run
      self->send(st.manager, done_atom::value, std::move(r));
      release(self);
    },
    [=](get_atom) {
      auto& st = self->state;
      device_info info;
      info.serial = st.serial;
      info.node = st.node;
      info.state = !st.online ? "offline" : st.running != 0 ? "busy" : "online";
      info.running_task_id = st.running;
      info.queued = st.queue.size();
      return info;
    },
  };
}

} // namespace tmx

#include "actors/device.hpp"

#include "actors/timeouts.hpp"
#include "model/device_json.hpp"
#include "model/run_policy.hpp"
#include "model/time.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <caf/actor_addr.hpp>
#include <caf/exit_reason.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

namespace tmx {

namespace {

using device_ptr = device_actor::stateful_pointer<device_state>;
using busy_accounts = std::shared_ptr<std::set<caf::actor_addr>>;

void try_start(device_ptr self);

device_info info_of(const device_state& st) {
  device_info info;
  info.serial = st.serial;
  info.node = st.node;
  info.state = !st.online ? "offline" : st.running != 0 ? "busy" : "online";
  info.running_task_id = st.running;
  info.queued = st.queue.size();
  info.driver = st.host ? st.desc.driver : "";
  info.state_reason = st.online ? "" : st.desc.state_reason;
  info.model = st.desc.model;
  info.android = st.desc.android;
  info.battery = st.desc.battery;
  info.last_seen = st.last_seen;
  info.accounts = st.desc.accounts;
  info.groups = st.groups;
  return info;
}

/// A device.updated event when what its host says of it changed (online,
/// why not, node, driver, model, Android, battery, accounts) or its
/// groups did; busy and idle are told by the task events of its runs.
void announce(device_ptr self) {
  auto& st = self->state;
  if (!st.db)
    return;
  auto info = info_of(st);
  std::string said = st.online ? "1" : "0";
  for (auto* s : {&info.state_reason, &info.node, &info.driver, &info.model,
                  &info.android})
    said.append("\x1f").append(*s);
  said.append("\x1f").append(std::to_string(info.battery));
  for (auto& a : info.accounts)
    said.append("\x1f").append(a);
  said.append("\x1e");
  for (auto& g : info.groups)
    said.append("\x1f").append(g);
  if (said == st.announced)
    return;
  st.announced = std::move(said);
  auto at = now_millis();
  self->send(st.db, event_atom::value,
             std::vector<event>{
               make_event(event_type::device_updated, at, device_json(info))});
}

/// Queued tasks that leave the queue, or wait on a device gone offline,
/// give up their place at (or their hold on) their accounts.
void withdraw_accounts(device_ptr self, task_id only = 0) {
  for (auto& q : self->state.queue)
    if (q.account && (only == 0 || q.id == only))
      self->send(q.account, release_atom::value, q.id);
}

void release_slot(device_ptr self) {
  auto& st = self->state;
  if (!st.has_slot)
    return;
  st.has_slot = false;
  self->send(st.limiter, release_atom::value);
}

/// The running task is over for this device, whatever its outcome.
void release(device_ptr self) {
  auto& st = self->state;
  if (st.running_account)
    self->send(st.running_account, release_atom::value, st.running);
  st.running_account = account_actor{};
  st.running = 0;
  st.phase = device_phase::idle;
  release_slot(self);
  try_start(self);
}

/// A run cancelled while its start was being written: give back what it
/// held.
void settle_cancelled(device_ptr self, task_id id) {
  auto& st = self->state;
  if (st.running_account)
    self->send(st.running_account, release_atom::value, id);
  st.running_account = account_actor{};
  st.phase = device_phase::idle;
  release_slot(self);
  try_start(self);
}

/// Asks the manager to mark the task started, then hands it to the host.
void begin(device_ptr self, size_t pos, account_actor account) {
  auto& st = self->state;
  auto id = st.queue[pos].id;
  st.queue.erase(st.queue.begin() + static_cast<ptrdiff_t>(pos));
  st.running = id;
  st.running_account = std::move(account);
  st.phase = device_phase::starting;
  self
    ->request(st.manager, request_timeout, start_atom::value, id, st.serial,
              st.node)
    .then(
      [=](run_order& order) {
        auto& st = self->state;
        st.phase = device_phase::running;
        // Cancelled while the manager wrote the start: already settled.
        if (st.running != id) {
          settle_cancelled(self, id);
          return;
        }
        // The host (or the phone) went away meanwhile: the task is stored
        // running and only this device knows that it never reached a host.
        if (!st.online) {
          self->send(
            st.manager, done_atom::value,
            run_result{id, false, offline_remark(st.desc.state_reason), {}});
          release(self);
          return;
        }
        self->send(st.host, run_atom::value, std::move(order));
      },
      [=](caf::error&) {
        // Not startable (stopped or deleted meanwhile): take the next one.
        auto& st = self->state;
        if (st.running == id)
          release(self);
        else
          settle_cancelled(self, id);
      });
}

/// Starts the first task of the queue whose account is free (or that runs
/// as no account), skipping accounts known busy in this pass.
void probe(device_ptr self, busy_accounts busy) {
  auto& st = self->state;
  if (!st.online || st.phase != device_phase::idle)
    return;
  size_t pos = 0;
  for (; pos < st.queue.size(); ++pos) {
    auto& account = st.queue[pos].account;
    if (!account) {
      begin(self, pos, account_actor{});
      return;
    }
    if (busy->count(account.address()) == 0)
      break;
  }
  if (pos == st.queue.size()) {
    release_slot(self); // nothing startable: let another device run
    return;
  }
  auto id = st.queue[pos].id;
  auto account = st.queue[pos].account;
  st.phase = device_phase::probing;
  self->request(account, request_timeout, acquire_atom::value, id)
    .then(
      [=](bool granted) {
        auto& st = self->state;
        st.phase = device_phase::idle;
        auto i = std::find_if(st.queue.begin(), st.queue.end(),
                              [&](auto& q) { return q.id == id; });
        bool still_wanted = i != st.queue.end() && st.online;
        if (granted && still_wanted) {
          begin(self, static_cast<size_t>(i - st.queue.begin()), account);
          return;
        }
        if (granted)
          self->send(account, release_atom::value, id);
        else
          busy->insert(account.address());
        probe(self, busy);
      },
      [=](caf::error&) {
        self->state.phase = device_phase::idle;
        busy->insert(account.address());
        probe(self, busy);
      });
}

/// The device cannot run any more (its host is gone, or says so): queued
/// tasks let go of their accounts and a run in progress fails.
void go_offline(device_ptr self, std::string reason, bool tell_host) {
  auto& st = self->state;
  st.online = false;
  st.desc.state_reason = std::move(reason);
  announce(self);
  withdraw_accounts(self);
  // A start still being written is settled when its reply arrives.
  if (st.running == 0 || st.phase == device_phase::starting) {
    release_slot(self);
    return;
  }
  if (tell_host && st.host)
    self->send(st.host, cancel_atom::value, st.running);
  self->send(
    st.manager, done_atom::value,
    run_result{st.running, false, offline_remark(st.desc.state_reason), {}});
  release(self);
}

/// Adds a task of the queue after those held, unless it is held already.
void hold(device_ptr self, queued_task q) {
  auto& st = self->state;
  st.cursor = std::max(st.cursor, q.seq);
  if (std::none_of(st.queue.begin(), st.queue.end(),
                   [&](auto& h) { return h.id == q.id; }))
    st.queue.push_back(std::move(q));
}

/// Reads the next slice of the queue when few tasks are held and the store
/// may have more.
void refill(device_ptr self) {
  auto& st = self->state;
  if (st.reading || !st.unread || st.queue.size() >= queue_low_water)
    return;
  st.reading = true;
  auto limit = static_cast<uint32_t>(queue_window - st.queue.size());
  self
    ->request(st.manager, request_timeout, queue_atom::value, st.serial,
              st.cursor, limit)
    .then(
      [=](queue_slice& s) {
        auto& st = self->state;
        st.reading = false;
        for (size_t i = 0; i < s.ids.size(); ++i)
          if (s.seqs[i] > st.cursor)
            hold(self, {s.ids[i], s.seqs[i], std::move(s.accounts[i])});
        st.cursor = std::max(st.cursor, s.last);
        st.unread = s.more || st.told > st.cursor;
        try_start(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.reading = false;
        spdlog::warn("device {}: its queue not read: {}", st.serial,
                     to_string(err));
        self->delayed_send(self, std::chrono::seconds(1), wake_atom::value);
      });
}

void try_start(device_ptr self) {
  auto& st = self->state;
  refill(self);
  if (st.phase != device_phase::idle && st.phase != device_phase::awaiting_slot)
    return;
  if (!st.online || st.queue.empty()) {
    release_slot(self);
    return;
  }
  if (st.limiter && !st.has_slot) {
    if (st.phase != device_phase::awaiting_slot) {
      st.phase = device_phase::awaiting_slot;
      self->send(st.limiter, acquire_atom::value);
    }
    return;
  }
  probe(self, std::make_shared<std::set<caf::actor_addr>>());
}

} // namespace

device_actor::behavior_type device(device_ptr self, std::string serial,
                                   task_manager_actor manager,
                                   limiter_actor limiter, store_actor db) {
  self->state.serial = std::move(serial);
  self->state.db = std::move(db);
  self->state.manager = std::move(manager);
  self->state.limiter = std::move(limiter);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source != st.host.address())
      return;
    // A host ended by the node's own shutdown is no news worth a warning.
    auto level = msg.reason == caf::exit_reason::user_shutdown
                   ? spdlog::level::debug
                   : spdlog::level::warn;
    spdlog::log(level, "device {}: host on node '{}' lost", st.serial, st.node);
    go_offline(self, "device host lost", false);
  });
  self->state.desc.serial = self->state.serial;
  self->state.desc.state_reason = "no device host";
  return {
    [=](enqueue_atom, task_id id, uint64_t seq, account_actor account) {
      auto& st = self->state;
      st.told = std::max(st.told, seq);
      // Held at once when nothing is left unread before it; else the next
      // read finds it in the store.
      if (!st.unread && !st.reading && seq > st.cursor
          && st.queue.size() < queue_window)
        hold(self, {id, seq, std::move(account)});
      else if (seq > st.cursor)
        st.unread = true;
      try_start(self);
    },
    [=](wake_atom) { try_start(self); },
    [=](slot_atom) {
      auto& st = self->state;
      st.phase = device_phase::idle;
      st.has_slot = true;
      try_start(self);
    },
    [=](dequeue_atom, task_id id) {
      withdraw_accounts(self, id);
      auto& q = self->state.queue;
      q.erase(std::remove_if(q.begin(), q.end(),
                             [id](auto& e) { return e.id == id; }),
              q.end());
    },
    [=](cancel_atom, task_id id) {
      auto& st = self->state;
      if (st.running != id)
        return;
      if (st.phase == device_phase::starting) {
        // The start reply settles it; the account and slot go then.
        st.running = 0;
        return;
      }
      if (st.host)
        self->send(st.host, cancel_atom::value, id);
      release(self);
    },
    [=](attach_atom, device_host_actor host, std::string node,
        device_desc desc) {
      auto& st = self->state;
      // Always the new handle: an agent that reconnects has the same
      // address, but the old proxy is dead and would swallow every message.
      if (st.host)
        self->demonitor(st.host.address());
      self->monitor(host);
      st.host = std::move(host);
      st.node = std::move(node);
      if (!desc.online()) {
        auto reason = desc.state_reason;
        st.desc = std::move(desc);
        if (st.online)
          spdlog::info("device {} on node '{}' is offline: {}", st.serial,
                       st.node, reason);
        go_offline(self, std::move(reason), true);
        return;
      }
      st.desc = std::move(desc);
      st.last_seen = now_millis();
      st.online = true;
      announce(self);
      try_start(self);
    },
    [=](log_atom, task_id id, std::vector<log_line>& lines) {
      auto& st = self->state;
      if (id == st.running && st.phase == device_phase::running)
        self->send(st.manager, log_atom::value, id, std::move(lines));
    },
    [=](screen_atom) -> caf::result<std::string> {
      auto& st = self->state;
      if (!st.online)
        return make_error(ec::conflict, "device " + st.serial + " is offline: "
                                          + st.desc.state_reason);
      auto rp = self->make_response_promise<std::string>();
      self->request(st.host, request_timeout, screen_atom::value, st.serial)
        .then([=](std::string& png) mutable { rp.deliver(std::move(png)); },
              [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](done_atom, run_result& r) {
      auto& st = self->state;
      if (r.id != st.running || st.phase != device_phase::running)
        return; // a late result of a cancelled run
      self->send(st.manager, done_atom::value, std::move(r));
      release(self);
    },
    [=](group_atom, std::vector<std::string>& names) {
      auto& st = self->state;
      st.groups = std::move(names);
      // A device its host has not shown yet is announced when it does.
      if (!st.announced.empty())
        announce(self);
    },
    [=](get_atom) { return info_of(self->state); },
  };
}

} // namespace tmx

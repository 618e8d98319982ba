#include "actors/task_manager.hpp"

#include "actors/device.hpp"
#include "actors/timeouts.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace tmx {

namespace {

using manager_ptr = task_manager_actor::stateful_pointer<task_manager_state>;

constexpr const char* stopped_remark = "stopped by user";

device_actor& spawn_device(manager_ptr self, const std::string& serial) {
  auto& slot = self->state.devices[serial];
  if (!slot)
    slot = self->spawn<caf::linked>(device, serial,
                       caf::actor_cast<task_manager_actor>(self));
  return slot;
}

/// Arms the timer for the earliest scheduled task unless an earlier or
/// equal one is armed already.
void arm_timer(manager_ptr self) {
  auto& st = self->state;
  if (st.schedule.empty())
    return;
  auto due = st.schedule.begin()->first;
  if (st.tick_at != 0 && st.tick_at <= due)
    return;
  st.tick_at = due;
  auto delay = std::max<millis>(0, due - st.clock());
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

/// A pending task enters its device queue now or waits for its due time.
void enqueue(manager_ptr self, const task& t) {
  auto& st = self->state;
  if (t.scheduled_at > st.clock()) {
    st.schedule.emplace(t.scheduled_at, t.id);
    arm_timer(self);
    return;
  }
  self->send(spawn_device(self, t.serial), enqueue_atom::value, t.id);
}

/// Takes an active task out of its device: off the queue, or its run ended.
void withdraw(manager_ptr self, const task& t) {
  auto i = self->state.devices.find(t.serial);
  if (i == self->state.devices.end())
    return;
  if (t.status == task_status::running)
    self->send(i->second, cancel_atom::value, t.id);
  else
    self->send(i->second, dequeue_atom::value, t.id);
}

/// Writes one task and calls `then` once the write is durable; a failed
/// write is logged and reported to `on_error`.
template <class Then, class OnError>
void write(manager_ptr self, task t, Then then, OnError on_error) {
  std::vector<task> batch{std::move(t)};
  self->request(self->state.db, request_timeout, update_atom::value,
                std::move(batch))
    .then([=](ok_atom) mutable { then(); },
          [=](caf::error& err) mutable { on_error(err); });
}

void finish(manager_ptr self, const run_result& r) {
  auto& st = self->state;
  auto i = st.active.find(r.id);
  if (i == st.active.end() || i->second.status != task_status::running)
    return; // stopped or deleted while it ran: already settled
  task t = std::move(i->second);
  st.active.erase(i);
  t.status = r.ok ? task_status::completed : task_status::failed;
  t.finished_at = st.clock();
  t.remark = r.remark;
  write(
    self, std::move(t), [] {},
    [=](caf::error& err) {
      spdlog::error("task {}: result not stored: {}", r.id,
                    to_api_error(err).message);
    });
}

/// The tasks of one create request, in the request's order, or an error.
struct fan_out {
  std::vector<task> tasks;
  api_error error;
};

/// The (serial, username) pairs a request runs on.
fan_out expand(manager_ptr self, const create_command& cmd) {
  auto& st = self->state;
  auto& req = cmd.req;
  fan_out out;
  std::vector<std::pair<std::string, std::string>> units;
  if (!req.usernames.empty()) {
    for (auto& name : req.usernames) {
      auto a = st.accounts.find(name);
      if (a == st.accounts.end()) {
        out.error = invalid("usernames: unknown account '" + name + "'");
        return out;
      }
      if (!a->second.enabled) {
        out.error = invalid("usernames: account '" + name + "' is disabled");
        return out;
      }
      units.emplace_back(a->second.serial, name);
    }
  } else {
    for (auto& serial : req.serials) {
      if (st.devices.count(serial) == 0) {
        out.error = invalid("serials: unknown device '" + serial + "'");
        return out;
      }
      if (!req.multi_account) {
        units.emplace_back(serial, "");
        continue;
      }
      auto before = units.size();
      for (auto& [name, a] : st.accounts)
        if (a.serial == serial && a.enabled)
          units.emplace_back(serial, name);
      if (units.size() == before) {
        out.error = invalid("serials: device '" + serial
                            + "' has no enabled accounts");
        return out;
      }
    }
  }
  auto now = st.clock();
  auto due = req.start_at != 0 ? req.start_at : now;
  std::uniform_int_distribution<int> gap(req.min_interval, req.max_interval);
  for (auto& [serial, username] : units) {
    for (auto& config : req.configs) {
      if (!out.tasks.empty() && req.max_interval > 0)
        due += millis{gap(st.rng)} * 60 * 1000;
      task t;
      t.id = st.next_id++;
      t.serial = serial;
      t.username = username;
      t.script_name = req.script_name;
      t.script_config = config;
      t.source = cmd.source;
      t.created_at = now;
      t.scheduled_at = due > now || req.start_at != 0 ? due : 0;
      t.queue_seq = st.next_queue_seq++;
      out.tasks.push_back(std::move(t));
    }
  }
  return out;
}

void create(manager_ptr self, create_command cmd,
            caf::typed_response_promise<std::vector<task_id>> rp) {
  auto& st = self->state;
  auto release_key = [=] {
    if (!cmd.idempotency_key.empty())
      self->state.keys_in_flight.erase(cmd.idempotency_key);
  };
  auto plan = expand(self, cmd);
  if (plan.error) {
    release_key();
    rp.deliver(make_error(plan.error.code, plan.error.message));
    return;
  }
  idempotency_record key;
  std::vector<task_id> ids;
  for (auto& t : plan.tasks)
    ids.push_back(t.id);
  if (!cmd.idempotency_key.empty())
    key = {cmd.idempotency_key, cmd.fingerprint, ids, st.clock()};
  auto tasks = std::make_shared<std::vector<task>>(std::move(plan.tasks));
  self->request(st.db, request_timeout, create_atom::value, *tasks, key)
    .then(
      [=](ok_atom) mutable {
        release_key();
        for (auto& t : *tasks) {
          auto& stored = self->state.active[t.id] = std::move(t);
          enqueue(self, stored);
        }
        rp.deliver(ids);
      },
      [=](caf::error& err) mutable {
        release_key();
        rp.deliver(err);
      });
}

void stop(manager_ptr self, task_id id, caf::typed_response_promise<task> rp) {
  auto& st = self->state;
  auto i = st.active.find(id);
  if (i == st.active.end()) {
    // Completed or failed (stop is idempotent), or unknown.
    self->request(st.db, request_timeout, get_atom::value, id)
      .then([=](task& t) mutable { rp.deliver(std::move(t)); },
            [=](caf::error& err) mutable { rp.deliver(err); });
    return;
  }
  task t = std::move(i->second);
  st.active.erase(i);
  auto was = t;
  if (t.status == task_status::running)
    t.finished_at = st.clock();
  t.status = task_status::failed;
  t.remark = stopped_remark;
  write(
    self, t,
    [=]() mutable {
      withdraw(self, was);
      rp.deliver(t);
    },
    [=](caf::error& err) mutable {
      // The store did not take the stop; it still holds the old state.
      withdraw(self, was);
      rp.deliver(err);
    });
}

/// `t` (failed) becomes pending again, at the back of its device queue.
void make_pending(manager_ptr self, task& t) {
  t.status = task_status::pending;
  t.retry_count += 1;
  t.remark.clear();
  t.queue_seq = self->state.next_queue_seq++;
  // A task whose start time passed long ago runs now, not at that time.
  if (t.scheduled_at != 0 && t.scheduled_at < self->state.clock())
    t.scheduled_at = 0;
}

void retry(manager_ptr self, task_id id,
           caf::typed_response_promise<task> rp) {
  auto& st = self->state;
  auto conflict = [](const task& t) {
    return make_error(ec::conflict, "task " + std::to_string(t.id) + " is "
                                      + std::string(status_text(t.status))
                                      + ", only a failed task can be retried");
  };
  auto i = st.active.find(id);
  if (i != st.active.end()) {
    rp.deliver(conflict(i->second));
    return;
  }
  self->request(st.db, request_timeout, get_atom::value, id)
    .then(
      [=](task& t) mutable {
        auto& st = self->state;
        if (auto j = st.active.find(id); j != st.active.end()) {
          rp.deliver(conflict(j->second)); // retried meanwhile
          return;
        }
        if (t.status != task_status::failed) {
          rp.deliver(conflict(t));
          return;
        }
        make_pending(self, t);
        st.active[id] = t;
        write(
          self, t,
          [=]() mutable {
            if (auto j = self->state.active.find(id);
                j != self->state.active.end())
              enqueue(self, j->second);
            rp.deliver(t);
          },
          [=](caf::error& err) mutable {
            self->state.active.erase(id);
            rp.deliver(err);
          });
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void retry_all(manager_ptr self, caf::typed_response_promise<uint64_t> rp) {
  self->request(self->state.db, request_timeout, failed_atom::value)
    .then(
      [=](std::vector<task>& failed) mutable {
        auto& st = self->state;
        std::vector<task> batch;
        for (auto& t : failed) {
          if (st.active.count(t.id) != 0)
            continue; // retried on its own meanwhile
          make_pending(self, t);
          st.active[t.id] = t;
          batch.push_back(std::move(t));
        }
        if (batch.empty()) {
          rp.deliver(uint64_t{0});
          return;
        }
        std::vector<task_id> ids;
        for (auto& t : batch)
          ids.push_back(t.id);
        self->request(st.db, request_timeout, update_atom::value, batch)
          .then(
            [=](ok_atom) mutable {
              for (auto id : ids)
                if (auto j = self->state.active.find(id);
                    j != self->state.active.end())
                  enqueue(self, j->second);
              rp.deliver(static_cast<uint64_t>(ids.size()));
            },
            [=](caf::error& err) mutable {
              for (auto id : ids)
                self->state.active.erase(id);
              rp.deliver(err);
            });
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase(manager_ptr self, const std::vector<task_id>& ids,
           caf::typed_response_promise<std::vector<task_id>> rp) {
  auto& st = self->state;
  for (auto id : ids) {
    auto i = st.active.find(id);
    if (i == st.active.end())
      continue;
    withdraw(self, i->second);
    st.active.erase(i);
  }
  self->request(st.db, request_timeout, erase_atom::value, ids)
    .then([=](std::vector<task_id>& erased) mutable { rp.deliver(erased); },
          [=](caf::error& err) mutable { rp.deliver(err); });
}

void list_devices(manager_ptr self,
                  caf::typed_response_promise<std::vector<device_info>> rp) {
  auto& st = self->state;
  struct gather {
    std::vector<device_info> devices;
    size_t awaited = 0;
  };
  auto g = std::make_shared<gather>();
  g->awaited = st.devices.size();
  if (g->awaited == 0) {
    rp.deliver(std::vector<device_info>{});
    return;
  }
  auto one_more = [=]() mutable {
    if (--g->awaited > 0)
      return;
    auto& st = self->state;
    for (auto& d : g->devices)
      for (auto& [name, a] : st.accounts)
        if (a.serial == d.serial)
          d.accounts.push_back(name);
    std::sort(g->devices.begin(), g->devices.end(),
              [](auto& a, auto& b) { return a.serial < b.serial; });
    rp.deliver(std::move(g->devices));
  };
  for (auto& [serial, dev] : st.devices)
    self->request(dev, request_timeout, get_atom::value)
      .then(
        [=](device_info& info) mutable {
          g->devices.push_back(std::move(info));
          one_more();
        },
        [=](caf::error&) mutable { one_more(); });
}

void start(manager_ptr self, task_id id, const std::string& serial,
           const std::string& node, caf::typed_response_promise<task> rp) {
  auto& st = self->state;
  auto i = st.active.find(id);
  if (i == st.active.end() || i->second.status != task_status::pending
      || i->second.serial != serial) {
    rp.deliver(make_error(ec::conflict, "task is not pending"));
    return;
  }
  auto& t = i->second;
  t.status = task_status::running;
  t.started_at = st.clock();
  t.finished_at = 0;
  t.node = node;
  write(
    self, t, [=]() mutable { rp.deliver(t); },
    [=](caf::error& err) mutable {
      // Not stored as running: it must not run, nor stay running here.
      self->state.active.erase(id);
      rp.deliver(err);
    });
}

void register_host(manager_ptr self, const std::string& node,
                   const device_host_actor& host,
                   const std::vector<device_desc>& devs) {
  auto& st = self->state;
  for (auto& d : devs) {
    for (auto& name : d.accounts)
      if (st.accounts.count(name) == 0)
        st.accounts[name] = account{name, d.serial, "tiktok", true};
    self->request(st.db, request_timeout, device_atom::value, d)
      .then([](ok_atom) {},
            [serial = d.serial](caf::error& err) {
              spdlog::error("device {} not stored: {}", serial,
                            to_api_error(err).message);
            });
    self->send(spawn_device(self, d.serial), attach_atom::value, host, node);
  }
}

void tick(manager_ptr self) {
  auto& st = self->state;
  st.tick_at = 0;
  auto now = st.clock();
  while (!st.schedule.empty() && st.schedule.begin()->first <= now) {
    auto id = st.schedule.begin()->second;
    st.schedule.erase(st.schedule.begin());
    auto i = st.active.find(id);
    if (i != st.active.end() && i->second.status == task_status::pending)
      self->send(spawn_device(self, i->second.serial), enqueue_atom::value,
                 id);
  }
  arm_timer(self);
}

} // namespace

task_manager_actor::behavior_type task_manager(manager_ptr self,
                                               store_actor db,
                                               task_manager_init init) {
  auto& st = self->state;
  st.db = std::move(db);
  st.clock = init.clock ? std::move(init.clock) : [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
  };
  st.next_id = init.next_id;
  st.next_queue_seq = init.next_queue_seq;
  for (auto& a : init.accounts)
    st.accounts[a.username] = a;
  for (auto& serial : init.devices)
    spawn_device(self, serial);
  for (auto& t : init.pending) {
    auto& stored = st.active[t.id] = t;
    enqueue(self, stored);
  }
  return {
    [=](create_atom, create_command& cmd)
      -> caf::result<std::vector<task_id>> {
      auto rp = self->make_response_promise<std::vector<task_id>>();
      auto& key = cmd.idempotency_key;
      if (key.empty()) {
        create(self, std::move(cmd), rp);
        return rp;
      }
      if (!self->state.keys_in_flight.insert(key).second)
        return make_error(ec::conflict, "a request with this Idempotency-Key "
                                        "is still in progress");
      self->request(self->state.db, request_timeout, idem_atom::value, key)
        .then(
          [=](idempotency_record& rec) mutable {
            auto fresh = self->state.clock() - rec.created_at
                         < idempotency_window;
            if (!fresh) {
              create(self, cmd, rp);
              return;
            }
            self->state.keys_in_flight.erase(cmd.idempotency_key);
            if (rec.fingerprint == cmd.fingerprint)
              rp.deliver(rec.task_ids);
            else
              rp.deliver(make_error(ec::conflict,
                                    "Idempotency-Key was used with a "
                                    "different request body"));
          },
          [=](caf::error& err) mutable {
            if (to_api_error(err).code == ec::not_found) {
              create(self, cmd, rp);
              return;
            }
            self->state.keys_in_flight.erase(cmd.idempotency_key);
            rp.deliver(err);
          });
      return rp;
    },
    [=](stop_atom, task_id id) -> caf::result<task> {
      auto rp = self->make_response_promise<task>();
      stop(self, id, rp);
      return rp;
    },
    [=](retry_atom, task_id id) -> caf::result<task> {
      auto rp = self->make_response_promise<task>();
      retry(self, id, rp);
      return rp;
    },
    [=](retry_all_atom) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      retry_all(self, rp);
      return rp;
    },
    [=](erase_atom, const std::vector<task_id>& ids)
      -> caf::result<std::vector<task_id>> {
      auto rp = self->make_response_promise<std::vector<task_id>>();
      erase(self, ids, rp);
      return rp;
    },
    [=](device_atom) -> caf::result<std::vector<device_info>> {
      auto rp = self->make_response_promise<std::vector<device_info>>();
      list_devices(self, rp);
      return rp;
    },
    [=](start_atom, task_id id, const std::string& serial,
        const std::string& node) -> caf::result<task> {
      auto rp = self->make_response_promise<task>();
      start(self, id, serial, node, rp);
      return rp;
    },
    [=](done_atom, const run_result& r) { finish(self, r); },
    [=](register_atom, const std::string& node, const device_host_actor& host,
        const std::vector<device_desc>& devs) {
      register_host(self, node, host, devs);
      return ok_atom::value;
    },
    [=](tick_atom) { tick(self); },
  };
}

} // namespace tmx

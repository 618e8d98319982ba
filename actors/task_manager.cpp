#include "actors/task_manager.hpp"

#include "actors/account.hpp"
#include "actors/device.hpp"
#include "actors/scheduler.hpp"
#include "actors/timeouts.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>

namespace tmx {

task_log ended_early(const task& t) {
  return {t.id, {{t.finished_at, "failed: " + t.remark}}, true};
}

namespace {

using manager_ptr = task_manager_actor::stateful_pointer<task_manager_state>;

constexpr const char* stopped_remark = "stopped by user";

task_manager_actor handle(manager_ptr self) {
  return caf::actor_cast<task_manager_actor>(self);
}

device_actor& spawn_device(manager_ptr self, const std::string& serial) {
  auto& slot = self->state.devices[serial];
  if (!slot)
    slot = self->spawn<caf::linked>(device, serial, handle(self),
                                    self->state.limiter);
  return slot;
}

account_actor gate(manager_ptr self, const std::string& username) {
  if (username.empty())
    return {};
  auto& slot = self->state.gates[username];
  if (!slot)
    slot = self->spawn<caf::linked>(account_gate);
  return slot;
}

/// A pending task joins its device queue when it is due; until then it
/// lives in the store and the scheduler wakes it.
void admit(manager_ptr self, const task& t) {
  auto& st = self->state;
  if (t.scheduled_at > st.clock()) {
    self->send(st.timer, due_atom::value, t.id, t.scheduled_at);
    return;
  }
  auto& stored = st.active[t.id] = t;
  self->send(spawn_device(self, stored.serial), enqueue_atom::value,
             stored.id, gate(self, stored.username));
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

/// Runs `op` on the current state of task `id`: the active one, or one read
/// from the store. Operations on a task being read wait for the read and
/// then run in arrival order on one working copy, so none of them acts on
/// a state another one has already changed.
void with_task(manager_ptr self, task_id id, task_op op) {
  auto& st = self->state;
  if (auto i = st.active.find(id); i != st.active.end()) {
    op(&i->second, caf::error{});
    return;
  }
  if (auto i = st.loading.find(id); i != st.loading.end()) {
    i->second.waiting.push_back(std::move(op));
    return;
  }
  st.loading[id].waiting.push_back(std::move(op));
  auto settle = [=](task* loaded, const caf::error& err) {
    auto load = std::move(self->state.loading[id]);
    self->state.loading.erase(id);
    auto gone = make_error(ec::not_found, "task not found");
    for (auto& waiting : load.waiting) {
      auto& active = self->state.active;
      if (auto i = active.find(id); i != active.end())
        waiting(&i->second, caf::error{});
      else if (loaded && !load.erased)
        waiting(loaded, caf::error{});
      else
        waiting(nullptr, loaded ? gone : err);
    }
  };
  self->request(st.db, request_timeout, get_atom::value, id)
    .then([=](task& t) { settle(&t, caf::error{}); },
          [=](caf::error& err) { settle(nullptr, err); });
}

/// Writes tasks (and logs) and calls `then` once the write is durable, or
/// `on_error` with the store's error.
template <class Then, class OnError>
void write(manager_ptr self, std::vector<task> tasks,
           std::vector<task_log> logs, Then then, OnError on_error) {
  self->request(self->state.db, request_timeout, update_atom::value,
                std::move(tasks), std::move(logs))
    .then([=](ok_atom) mutable { then(); },
          [=](caf::error& err) mutable { on_error(err); });
}

template <class Then, class OnError>
void write(manager_ptr self, task t, Then then, OnError on_error) {
  write(self, std::vector<task>{std::move(t)}, {}, std::move(then),
        std::move(on_error));
}

void log_failure(task_id id, const char* what, const caf::error& err) {
  spdlog::error("task {}: {} not stored: {}", id, what,
                to_api_error(err).message);
}

/// `t` (failed) becomes pending again, at the back of its device queue.
void make_pending(manager_ptr self, task& t) {
  t.status = task_status::pending;
  t.retry_count += 1;
  t.queue_seq = self->state.next_queue_seq++;
  // A task whose start time passed long ago runs now, not at that time.
  if (t.scheduled_at != 0 && t.scheduled_at < self->state.clock())
    t.scheduled_at = 0;
}

void finish(manager_ptr self, run_result& r) {
  auto& st = self->state;
  auto i = st.active.find(r.id);
  if (i == st.active.end() || i->second.status != task_status::running)
    return; // stopped or deleted while it ran: already settled
  task t = std::move(i->second);
  st.active.erase(i);
  auto now = st.clock();
  t.finished_at = now;
  t.remark = r.remark;
  t.exit_code = r.exit_code;
  // The start line and the live lines are stored already.
  task_log log{t.id, std::move(r.lines), true};
  log.lines.push_back({now, r.ok ? "completed"
                                 : "failed: " + r.remark});
  auto& policy = st.retry;
  if (!r.ok && t.auto_retry_count < policy.max_auto) {
    // The remark keeps the error; the task waits out a random delay.
    make_pending(self, t);
    t.auto_retry_count += 1;
    std::uniform_int_distribution<millis> delay(policy.delay_min,
                                                policy.delay_max);
    t.scheduled_at = now + delay(st.rng);
    log.lines.push_back({now, "automatic retry "
                                + std::to_string(t.auto_retry_count) + " of "
                                + std::to_string(policy.max_auto)});
  } else {
    t.status = r.ok ? task_status::completed : task_status::failed;
  }
  auto id = t.id;
  write(
    self, {t}, {std::move(log)},
    [=] {
      if (t.status == task_status::pending)
        admit(self, t);
    },
    [=](caf::error& err) { log_failure(id, "result", err); });
}

/// The tasks of one create request, in the request's order, or an error.
struct fan_out {
  std::vector<task> tasks;
  api_error error;
};

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
        for (auto& t : *tasks)
          admit(self, t);
        rp.deliver(ids);
      },
      [=](caf::error& err) mutable {
        release_key();
        rp.deliver(err);
      });
}

void create_with_key(manager_ptr self, create_command cmd,
                     caf::typed_response_promise<std::vector<task_id>> rp) {
  auto& key = cmd.idempotency_key;
  if (!self->state.keys_in_flight.insert(key).second) {
    rp.deliver(make_error(ec::conflict, "a request with this Idempotency-Key "
                                        "is still in progress"));
    return;
  }
  self->request(self->state.db, request_timeout, idem_atom::value, key)
    .then(
      [=](idempotency_record& rec) mutable {
        if (self->state.clock() - rec.created_at >= idempotency_window) {
          create(self, cmd, rp);
          return;
        }
        self->state.keys_in_flight.erase(cmd.idempotency_key);
        if (rec.fingerprint == cmd.fingerprint)
          rp.deliver(rec.task_ids);
        else
          rp.deliver(make_error(ec::conflict, "Idempotency-Key was used with "
                                              "a different request body"));
      },
      [=](caf::error& err) mutable {
        if (to_api_error(err).code == ec::not_found) {
          create(self, cmd, rp);
          return;
        }
        self->state.keys_in_flight.erase(cmd.idempotency_key);
        rp.deliver(err);
      });
}

void stop(manager_ptr self, task_id id, caf::typed_response_promise<task> rp) {
  with_task(self, id, [=](task* current, const caf::error& err) mutable {
    if (!current) {
      rp.deliver(err);
      return;
    }
    if (!current->active()) {
      rp.deliver(*current); // stop is idempotent
      return;
    }
    auto& st = self->state;
    auto was = *current;
    if (current->status == task_status::running)
      current->finished_at = st.clock();
    current->status = task_status::failed;
    current->remark = stopped_remark;
    task t = *current;
    if (st.active.erase(id) != 0)
      withdraw(self, was);
    std::vector<task_log> logs;
    if (was.status == task_status::running)
      logs.push_back(ended_early(t));
    write(
      self, {t}, std::move(logs), [=]() mutable { rp.deliver(t); },
      [=](caf::error& err) mutable {
        log_failure(id, "stop", err);
        rp.deliver(err);
      });
  });
}

caf::error not_retryable(const task& t) {
  return make_error(ec::conflict, "task " + std::to_string(t.id) + " is "
                                    + std::string(status_text(t.status))
                                    + ", only a failed task can be retried");
}

void retry(manager_ptr self, task_id id,
           caf::typed_response_promise<task> rp) {
  with_task(self, id, [=](task* current, const caf::error& err) mutable {
    if (!current) {
      rp.deliver(err);
      return;
    }
    if (current->status != task_status::failed) {
      rp.deliver(not_retryable(*current));
      return;
    }
    make_pending(self, *current);
    current->remark.clear();
    task t = *current;
    write(
      self, t,
      [=]() mutable {
        admit(self, t);
        rp.deliver(t);
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
  });
}

void retry_all(manager_ptr self, caf::typed_response_promise<uint64_t> rp) {
  self->request(self->state.db, request_timeout, failed_atom::value)
    .then(
      [=](std::vector<task>& failed) mutable {
        auto& st = self->state;
        std::vector<task> batch;
        for (auto& t : failed) {
          // One being read for another operation gets its own turn.
          if (st.active.count(t.id) != 0 || st.loading.count(t.id) != 0)
            continue;
          make_pending(self, t);
          t.remark.clear();
          batch.push_back(std::move(t));
        }
        if (batch.empty()) {
          rp.deliver(uint64_t{0});
          return;
        }
        auto n = static_cast<uint64_t>(batch.size());
        write(
          self, batch, {},
          [=]() mutable {
            for (auto& t : batch)
              admit(self, t);
            rp.deliver(n);
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase(manager_ptr self, const std::vector<task_id>& ids,
           caf::typed_response_promise<std::vector<task_id>> rp) {
  auto& st = self->state;
  for (auto id : ids) {
    if (auto i = st.active.find(id); i != st.active.end()) {
      withdraw(self, i->second);
      st.active.erase(i);
    } else if (auto j = st.loading.find(id); j != st.loading.end()) {
      j->second.erased = true;
    }
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
    for (auto& d : g->devices)
      for (auto& [name, a] : self->state.accounts)
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
           const std::string& node,
           caf::typed_response_promise<run_order> rp) {
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
  t.exit_code = no_exit_code;
  t.node = node;
  auto timeout = base_timeout(t.script_name, t.script_config);
  run_order order{t, serial,
                  static_cast<millis>(std::llround(timeout * st.timeout_scale))};
  // The log of the last run starts over with this one.
  task_log log{id, {{t.started_at, start_line(t)}}};
  write(
    self, {t}, {std::move(log)}, [=]() mutable { rp.deliver(order); },
    [=](caf::error& err) mutable {
      // Not stored as running: it must not run, nor stay running here.
      self->state.active.erase(id);
      rp.deliver(err);
    });
}

/// Attaches a device of a live host; false when another live host has it.
bool attach_device(manager_ptr self, const std::string& node,
                   const device_host_actor& host, const device_desc& d) {
  auto& st = self->state;
  auto addr = host.address();
  if (st.watched_hosts.insert(addr).second)
    self->monitor(host);
  auto& holder = st.device_hosts[d.serial];
  if (holder && holder != addr) {
    // A serial is one phone: a second host claiming it while the first
    // lives is a misconfiguration (or a copied agent config).
    spdlog::warn("node '{}' claims device {} which a live host of another "
                 "node has: refused",
                 node, d.serial);
    return false;
  }
  bool known = holder == addr;
  holder = addr;
  if (!known) {
    for (auto& name : d.accounts)
      if (st.accounts.count(name) == 0)
        st.accounts[name] = account{name, d.serial, "tiktok", true};
    self->request(st.db, request_timeout, device_atom::value, d)
      .then([](ok_atom) {},
            [serial = d.serial](caf::error& err) {
              spdlog::error("device {} not stored: {}", serial,
                            to_api_error(err).message);
            });
  }
  self->send(spawn_device(self, d.serial), attach_atom::value, host, node, d);
  return true;
}

std::vector<std::string> register_host(manager_ptr self,
                                       const std::string& node,
                                       const device_host_actor& host,
                                       const std::vector<device_desc>& devs) {
  std::vector<std::string> refused;
  for (auto& d : devs)
    if (!attach_device(self, node, host, d))
      refused.push_back(d.serial);
  return refused;
}

void append_lines(manager_ptr self, task_id id, std::vector<log_line> lines) {
  auto i = self->state.active.find(id);
  if (i == self->state.active.end()
      || i->second.status != task_status::running)
    return; // ended meanwhile: its log is closed
  self->request(self->state.db, request_timeout, log_atom::value, id,
                std::move(lines))
    .then([](ok_atom) {},
          [=](caf::error& err) { log_failure(id, "live log", err); });
}

void screenshot(manager_ptr self, const std::string& serial,
                caf::typed_response_promise<std::string> rp) {
  auto i = self->state.devices.find(serial);
  if (i == self->state.devices.end()) {
    rp.deliver(make_error(ec::not_found, "no such device"));
    return;
  }
  // The picture may cross the cluster; the device knows its host.
  self->request(i->second, request_timeout, screen_atom::value)
    .then([=](std::string& png) mutable { rp.deliver(std::move(png)); },
          [=](caf::error& err) mutable { rp.deliver(err); });
}

void wake(manager_ptr self, const std::vector<task_id>& ids) {
  for (auto id : ids) {
    if (self->state.active.count(id) != 0)
      continue; // already in its queue
    with_task(self, id, [=](task* t, const caf::error&) {
      if (t && t->status == task_status::pending
          && self->state.active.count(id) == 0)
        admit(self, *t);
    });
  }
}

void put_account(manager_ptr self, account a,
                 caf::typed_response_promise<account> rp) {
  if (self->state.devices.count(a.serial) == 0) {
    rp.deliver(make_error(ec::invalid_params,
                          "serial: unknown device '" + a.serial + "'"));
    return;
  }
  self->request(self->state.db, request_timeout, account_atom::value, a)
    .then(
      [=](ok_atom) mutable {
        self->state.accounts[a.username] = a;
        rp.deliver(a);
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase_account(manager_ptr self, const std::string& username,
                   caf::typed_response_promise<ok_atom> rp) {
  if (self->state.accounts.count(username) == 0) {
    rp.deliver(make_error(ec::not_found, "no such account"));
    return;
  }
  self->request(self->state.db, request_timeout, account_atom::value,
                erase_atom::value, username)
    .then(
      [=](ok_atom) mutable {
        // Tasks already created for it keep their account gate.
        self->state.accounts.erase(username);
        rp.deliver(ok_atom::value);
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

/// Replies through a response promise that `f` fills in.
template <class T, class F>
caf::result<T> promise(manager_ptr self, F f) {
  auto rp = self->make_response_promise<T>();
  f(rp);
  return rp;
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
  st.retry = init.retry;
  st.timeout_scale = init.timeout_scale;
  st.next_id = init.next_id;
  st.next_queue_seq = init.next_queue_seq;
  if (init.device_limit > 0)
    st.limiter = self->spawn<caf::linked>(limiter, init.device_limit);
  st.timer = self->spawn<caf::linked>(scheduler, st.db, handle(self),
                                      st.clock, init.loaded_until);
  self->set_down_handler([=](const caf::down_msg& msg) {
    // A host is gone: its serials are free for whoever claims them next.
    auto& st = self->state;
    st.watched_hosts.erase(msg.source);
    for (auto i = st.device_hosts.begin(); i != st.device_hosts.end();)
      i = i->second == msg.source ? st.device_hosts.erase(i) : std::next(i);
  });
  for (auto& a : init.accounts)
    st.accounts[a.username] = a;
  for (auto& serial : init.devices)
    spawn_device(self, serial);
  for (auto& t : init.pending)
    admit(self, t);
  using ids = std::vector<task_id>;
  return {
    [=](create_atom, create_command& cmd) {
      return promise<ids>(self, [&](auto rp) {
        if (cmd.idempotency_key.empty())
          create(self, std::move(cmd), rp);
        else
          create_with_key(self, std::move(cmd), rp);
      });
    },
    [=](stop_atom, task_id id) {
      return promise<task>(self, [&](auto rp) { stop(self, id, rp); });
    },
    [=](retry_atom, task_id id) {
      return promise<task>(self, [&](auto rp) { retry(self, id, rp); });
    },
    [=](retry_all_atom) {
      return promise<uint64_t>(self, [&](auto rp) { retry_all(self, rp); });
    },
    [=](erase_atom, const ids& xs) {
      return promise<ids>(self, [&](auto rp) { erase(self, xs, rp); });
    },
    [=](device_atom) {
      return promise<std::vector<device_info>>(
        self, [&](auto rp) { list_devices(self, rp); });
    },
    [=](start_atom, task_id id, const std::string& serial,
        const std::string& node) {
      return promise<run_order>(
        self, [&](auto rp) { start(self, id, serial, node, rp); });
    },
    [=](done_atom, run_result& r) { finish(self, r); },
    [=](log_atom, task_id id, std::vector<log_line>& lines) {
      append_lines(self, id, std::move(lines));
    },
    [=](device_atom, const std::string& node, const device_host_actor& host,
        const device_desc& d) { attach_device(self, node, host, d); },
    [=](screen_atom, const std::string& serial) {
      return promise<std::string>(
        self, [&](auto rp) { screenshot(self, serial, rp); });
    },
    [=](register_atom, const std::string& node, const device_host_actor& host,
        const std::vector<device_desc>& devs) {
      return register_host(self, node, host, devs);
    },
    [=](due_atom, const ids& xs) { wake(self, xs); },
    [=](account_atom, account& a) {
      return promise<account>(
        self, [&](auto rp) { put_account(self, std::move(a), rp); });
    },
    [=](account_atom) {
      std::vector<account> all;
      for (auto& [name, a] : self->state.accounts)
        all.push_back(a);
      return all;
    },
    [=](account_atom, erase_atom, const std::string& username) {
      return promise<ok_atom>(
        self, [&](auto rp) { erase_account(self, username, rp); });
    },
  };
}

} // namespace tmx

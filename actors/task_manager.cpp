#include "actors/task_manager.hpp"

#include "actors/task_manager_ops.hpp"
#include "metrics/metrics.hpp"
#include "model/task_plan.hpp"

#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <unordered_map>

namespace tmx {

using namespace manager;

namespace {

void create(manager_ptr self, create_command cmd,
            caf::typed_response_promise<std::vector<task_id>> rp) {
  auto& st = self->state;
  auto release_key = [=] {
    if (!cmd.idempotency_key.empty())
      self->state.keys_in_flight.erase(cmd.idempotency_key);
  };
  // Group mode is device mode over the groups' serials as they are now.
  if (!cmd.req.groups.empty()) {
    auto err = st.groups.serials_of(cmd.req.groups, cmd.req.serials);
    if (err) {
      release_key();
      rp.deliver(make_error(err.code, err.message));
      return;
    }
  }
  plan_context ctx{[&](const std::string& serial) {
                     return st.devices.count(serial) != 0;
                   },
                   &st.accounts, st.clock(), st.next_id, st.next_queue_seq};
  auto plan = plan_tasks(cmd.req, cmd.source, ctx, st.rng);
  if (plan.error || cmd.dry_run) {
    release_key();
    if (plan.error)
      rp.deliver(make_error(plan.error.code, plan.error.message));
    else
      rp.deliver(std::vector<task_id>{});
    return;
  }
  // Ids are never reused: taken now, whether or not the write succeeds.
  st.next_id += plan.tasks.size();
  st.next_queue_seq += plan.tasks.size();
  idempotency_record key;
  std::vector<task_id> ids;
  for (auto& t : plan.tasks) {
    ids.push_back(t.id);
    t.schedule_id = cmd.firing.id;
  }
  if (!cmd.idempotency_key.empty())
    key = {cmd.idempotency_key, cmd.fingerprint, ids, ctx.now};
  cmd.firing.last_task_ids = ids;
  auto tasks = std::make_shared<std::vector<task>>(std::move(plan.tasks));
  auto stored = [=](ok_atom) mutable {
    release_key();
    metrics::count_created(cmd.source, tasks->size());
    for (auto& t : *tasks)
      admit(self, t);
    rp.deliver(ids);
  };
  auto refused = [=](caf::error& err) mutable {
    release_key();
    rp.deliver(err);
  };
  // A schedule's firing is stored with its tasks: it happened exactly
  // when they exist.
  if (cmd.firing.id == 0)
    self->request(st.db, request_timeout, create_atom::value, *tasks, key)
      .then(stored, refused);
  else
    self
      ->request(st.db, request_timeout, create_atom::value, *tasks, key,
                cmd.firing)
      .then(stored, refused);
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
      d.accounts = self->state.accounts.on_device(d.serial);
    std::sort(g->devices.begin(), g->devices.end(),
              [](auto& a, auto& b) { return a.serial < b.serial; });
    // A device holds a few of its queue's tasks: the store counts them all.
    self
      ->request(self->state.db, request_timeout, queue_atom::value,
                self->state.clock())
      .then(
        [=](std::vector<std::string>& serials,
            std::vector<uint64_t>& counts) mutable {
          std::unordered_map<std::string, uint64_t> pending;
          for (size_t i = 0; i < serials.size(); ++i)
            pending[serials[i]] = counts[i];
          for (auto& d : g->devices) {
            auto i = pending.find(d.serial);
            d.queued = i == pending.end() ? 0 : i->second;
          }
          rp.deliver(std::move(g->devices));
        },
        [=](caf::error& err) mutable { rp.deliver(err); });
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

/// Attaches a device of a live host once what is new of it (the serial,
/// accounts found on it) is stored; `attached(false)` when another live
/// host has the serial or the store refused it.
void attach_device(manager_ptr self, const std::string& node,
                   const device_host_actor& host, const device_desc& d,
                   std::function<void(bool)> attached) {
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
    return attached(false);
  }
  holder = addr;
  auto apply = [=] {
    auto& st = self->state;
    for (auto& a : st.accounts.found(d.serial, d.accounts))
      st.accounts.put(a);
    self->send(spawn_device(self, d.serial), attach_atom::value, host, node, d);
    attached(true);
  };
  if (st.devices.count(d.serial) != 0
      && st.accounts.found(d.serial, d.accounts).empty())
    return apply();
  self->request(st.db, request_timeout, device_atom::value, d)
    .then([=](ok_atom) { apply(); },
          [=](caf::error& err) {
            spdlog::error("device {} not stored: {}", d.serial,
                          to_api_error(err).message);
            auto& holders = self->state.device_hosts;
            if (auto i = holders.find(d.serial);
                i != holders.end() && i->second == addr)
              holders.erase(i);
            attached(false);
          });
}

void register_host(manager_ptr self, const std::string& node,
                   const device_host_actor& host,
                   const std::vector<device_desc>& devs,
                   caf::typed_response_promise<std::vector<std::string>> rp) {
  struct gather {
    std::vector<std::string> refused;
    size_t awaited = 0;
  };
  auto g = std::make_shared<gather>();
  g->awaited = devs.size() + 1;
  auto one_more = [=]() mutable {
    if (--g->awaited == 0)
      rp.deliver(g->refused);
  };
  for (auto& d : devs)
    attach_device(self, node, host, d, [=, serial = d.serial](bool ok) mutable {
      if (!ok)
        g->refused.push_back(serial);
      one_more();
    });
  one_more();
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
        self->state.accounts.put(a);
        rp.deliver(a);
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase_account(manager_ptr self, const std::string& username,
                   caf::typed_response_promise<ok_atom> rp) {
  if (!self->state.accounts.find(username)) {
    rp.deliver(make_error(ec::not_found, "no such account"));
    return;
  }
  self
    ->request(self->state.db, request_timeout, account_atom::value,
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

task_manager_actor::behavior_type task_manager(manager_ptr self, store_actor db,
                                               task_manager_init init,
                                               scheduler_actor timer,
                                               limiter_actor limiter) {
  auto& st = self->state;
  st.db = std::move(db);
  st.timer = std::move(timer);
  st.limiter = std::move(limiter);
  st.clock = init.clock ? std::move(init.clock) : now_millis;
  st.retry = init.retry;
  st.timeout_scale = init.timeout_scale;
  st.next_id = init.next_id;
  st.next_queue_seq = init.next_queue_seq;
  self->set_down_handler([=](const caf::down_msg& msg) {
    // A host is gone: its serials are free for whoever claims them next.
    auto& st = self->state;
    st.watched_hosts.erase(msg.source);
    for (auto i = st.device_hosts.begin(); i != st.device_hosts.end();)
      i = i->second == msg.source ? st.device_hosts.erase(i) : std::next(i);
  });
  for (auto& a : init.accounts)
    st.accounts.put(a);
  for (auto& g : init.groups)
    st.groups.put(std::move(g));
  for (auto& serial : init.devices)
    spawn_device(self, serial);
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
      return promise<std::vector<device_info>>(self, [&](auto rp) {
        list_devices(self, rp);
      });
    },
    [=](start_atom, task_id id, const std::string& serial,
        const std::string& node) {
      return promise<run_order>(self, [&](auto rp) {
        start(self, id, serial, node, rp);
      });
    },
    [=](done_atom, run_result& r) { finish(self, std::move(r)); },
    [=](log_atom, task_id id, std::vector<log_line>& lines) {
      append_lines(self, id, std::move(lines));
    },
    [=](device_atom, const std::string& node, const device_host_actor& host,
        const device_desc& d) {
      attach_device(self, node, host, d, [](bool) {});
    },
    [=](screen_atom, const std::string& serial) {
      return promise<std::string>(self, [&](auto rp) {
        screenshot(self, serial, rp);
      });
    },
    [=](register_atom, const std::string& node, const device_host_actor& host,
        const std::vector<device_desc>& devs) {
      return promise<std::vector<std::string>>(self, [&](auto rp) {
        register_host(self, node, host, devs, rp);
      });
    },
    [=](due_atom, const ids& xs) { wake(self, xs); },
    [=](queue_atom, const std::string& serial, uint64_t after, uint32_t limit) {
      return promise<queue_slice>(self, [&](auto rp) {
        read_queue(self, serial, after, limit, rp);
      });
    },
    [=](account_atom, account& a) {
      return promise<account>(self, [&](auto rp) {
        put_account(self, std::move(a), rp);
      });
    },
    [=](account_atom) { return self->state.accounts.all(); },
    [=](account_atom, erase_atom, const std::string& username) {
      return promise<ok_atom>(self, [&](auto rp) {
        erase_account(self, username, rp);
      });
    },
    [=](group_atom, device_group& g) {
      return promise<device_group>(self, [&](auto rp) {
        put_group(self, std::move(g), rp);
      });
    },
    [=](group_atom) { return self->state.groups.all(); },
    [=](group_atom, erase_atom, const std::string& name) {
      return promise<ok_atom>(self,
                              [&](auto rp) { erase_group(self, name, rp); });
    },
  };
}

} // namespace tmx

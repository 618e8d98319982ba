#include "actors/root.hpp"

#include "actors/event_hub.hpp"
#include "actors/gatekeeper.hpp"
#include "actors/store_actor.hpp"
#include "actors/timeouts.hpp"
#include "model/time.hpp"
#include "storage/store.hpp"

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

bool recover(store& db, millis now, task_manager_init& init,
             std::string& error) {
  // At-most-once: a run cut short by the end of the process is reported,
  // never repeated behind the user's back.
  std::vector<task> interrupted;
  std::vector<task_log> logs;
  auto e = db.for_each_with_status(task_status::running, [&](const task& t) {
    interrupted.push_back(tmx::interrupted(t, now));
    logs.push_back(end_log(interrupted.back()));
    return true;
  });
  if (e == store_errc::ok && !interrupted.empty())
    e = db.update(interrupted, logs);
  // Pending tasks stay where they are: each device reads its queue from the
  // store as it runs (due ones; the scheduler wakes the others).
  if (e != store_errc::ok) {
    error = std::string("reading the store failed: ") + to_string(e);
    return false;
  }
  if (!interrupted.empty())
    spdlog::warn("{} tasks were running when the server last stopped; they "
                 "are failed as interrupted",
                 interrupted.size());
  init.loaded_until = now + 1;
  init.next_id = db.next_id();
  init.next_queue_seq = db.next_queue_seq();
  init.devices = db.devices();
  init.accounts = db.accounts();
  if (auto g = db.groups(init.groups); g != store_errc::ok) {
    error = std::string("reading the device groups failed: ") + to_string(g);
    return false;
  }
  return true;
}

root_actor::behavior_type root(root_actor::stateful_pointer<root_state> self,
                               std::shared_ptr<store> db, node_options opts) {
  task_manager_init init;
  init.retry = opts.retry;
  init.timeout_scale = opts.timeout_scale;
  init.device_limit = opts.device_limit;
  std::string error;
  if (!recover(*db, now_millis(), init, error)) {
    spdlog::critical("{}", error);
    self->quit(make_error(ec::internal, error));
    return root_actor::behavior_type::make_empty_behavior();
  }
  spdlog::info(
    "store open: next task id {}, {} pending tasks, {} devices", init.next_id,
    db->counts().by_status[static_cast<size_t>(task_status::pending)],
    init.devices.size());
  // The events of the start-up writes are stored; the hub holds the newest
  // stored ones, so that a client resumes across a restart.
  db->take_events();
  auto last_event = db->last_event_id();
  std::vector<event> held;
  std::vector<webhook> hooks;
  auto read = db->read_events(
    last_event > kept_events ? last_event - kept_events : 0, kept_events, held);
  std::vector<schedule> schedules;
  if (read == store_errc::ok)
    read = db->webhooks(hooks);
  if (read == store_errc::ok)
    read = db->schedules(schedules);
  if (read != store_errc::ok) {
    spdlog::critical("reading the events, webhooks and schedules failed: {}",
                     to_string(read));
    self->quit(make_error(ec::internal, "reading the events failed"));
    return root_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.handles.hub = self->spawn(event_hub, std::move(held), last_event,
                               event_hub_options{});
  self->monitor(st.handles.hub);
  st.db = self->spawn<caf::detached>(store_behavior, std::move(db),
                                     st.handles.hub);
  st.handles.db = st.db;
  auto core = spawn_task_core(*self, st.db, std::move(init));
  st.handles.manager = core.manager;
  st.timer = core.timer;
  st.limiter = core.limiter;
  self->monitor(st.db);
  self->monitor(st.handles.manager);
  self->monitor(st.timer);
  if (st.limiter)
    self->monitor(st.limiter);
  // After the manager, which knows every device and account at once: a
  // slot missed while the server was down may fire right away.
  st.handles.schedules = self->spawn(
    schedule_keeper, st.db, st.handles.manager,
    schedule_keeper_init{std::move(schedules), opts.schedule_catch_up, {}});
  self->monitor(st.handles.schedules);
  if (opts.retention > 0) {
    st.retention = self->spawn(retention, st.db, opts.retention, now_millis);
    self->monitor(st.retention);
  }
  gatekeeper_options gate;
  gate.secret = opts.cluster_secret;
  gate.ping_timeout = opts.ping_timeout;
  gate.db = st.db;
  st.handles.gate = self->spawn(gatekeeper, std::move(gate), st.handles.manager,
                                now_millis);
  self->monitor(st.handles.gate);
  st.handles.hooks = spawn_webhook_keeper(self->system(), st.db, st.handles.hub,
                                          std::move(hooks), opts.webhooks);
  self->monitor(st.handles.hooks);
  if (opts.host.driver == "adb" || opts.host.sim.devices > 0) {
    st.local_host = spawn_host(*self, opts.host);
    self->monitor(st.local_host);
    auto not_registered = [](caf::error& err) {
      spdlog::critical("in-process devices not registered: {}",
                       to_api_error(err).message);
    };
    auto node = opts.host.sim.node;
    auto secret = opts.cluster_secret;
    self->request(st.local_host, request_timeout, get_atom::value)
      .then(
        [=](std::vector<device_desc>& devs) {
          auto& st = self->state;
          self
            ->request(st.handles.gate, request_timeout, register_atom::value,
                      node, secret, st.local_host, std::move(devs))
            .then(
              [=](std::vector<std::string>&) {
                auto& st = self->state;
                self->send(st.local_host, attach_atom::value,
                           caf::actor_cast<device_report_actor>(
                             st.handles.gate));
              },
              not_registered);
        },
        not_registered);
  }
  self->set_down_handler([=](const caf::down_msg& msg) {
    if (self->state.stopping)
      return;
    // No component may silently vanish: without it the node would answer
    // but never act. Stop in order and let the process exit non-zero.
    spdlog::critical("a server component terminated ({}); shutting down",
                     to_string(msg.reason));
    caf::anon_send(caf::actor_cast<root_actor>(self), shutdown_atom::value);
  });
  return {
    [=](get_atom) -> caf::result<task_manager_actor, store_reader_actor,
                                 gatekeeper_actor, event_hub_actor,
                                 webhook_keeper_actor, schedule_keeper_actor> {
      auto& h = self->state.handles;
      return {h.manager, h.db, h.gate, h.hub, h.hooks, h.schedules};
    },
    [=](shutdown_atom) -> caf::result<ok_atom> {
      auto& st = self->state;
      st.stopping = true;
      auto rp = self->make_response_promise<ok_atom>();
      // The manager (and with it the devices) first, so that the end of the
      // host is no news to anyone.
      self->send_exit(st.handles.hooks, caf::exit_reason::user_shutdown);
      self->send_exit(st.handles.hub, caf::exit_reason::user_shutdown);
      self->send_exit(st.handles.gate, caf::exit_reason::user_shutdown);
      self->send_exit(st.handles.schedules, caf::exit_reason::user_shutdown);
      if (st.retention)
        self->send_exit(st.retention, caf::exit_reason::user_shutdown);
      self->send_exit(st.handles.manager, caf::exit_reason::user_shutdown);
      self->send_exit(st.timer, caf::exit_reason::user_shutdown);
      if (st.limiter)
        self->send_exit(st.limiter, caf::exit_reason::user_shutdown);
      if (st.local_host)
        self->send_exit(st.local_host, caf::exit_reason::user_shutdown);
      // The store takes this after every write already sent to it.
      self->request(st.db, request_timeout, shutdown_atom::value)
        .then(
          [=](ok_atom) mutable {
            rp.deliver(ok_atom::value);
            self->quit();
          },
          [=](caf::error& err) mutable {
            spdlog::error("store did not shut down cleanly: {}",
                          to_string(err));
            rp.deliver(ok_atom::value);
            self->quit(err);
          });
      return rp;
    },
  };
}

} // namespace tmx

#include "actors/sim_host.hpp"

#include "actors/timeouts.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace tmx {

std::vector<device_desc> simulated_devices(const sim_options& opts) {
  std::vector<device_desc> result;
  for (int i = 1; i <= opts.devices; ++i) {
    char number[16];
    std::snprintf(number, sizeof(number), "%04d", i);
    auto serial = opts.prefix + number;
    result.push_back({serial, {serial + "-a", serial + "-b"}});
  }
  return result;
}

namespace {

/// One simulated script run: reports to the device after the duration,
/// unless the host ends it first.
caf::behavior sim_runner(caf::event_based_actor* self, device_actor dev,
                         task_id id, caf::timespan duration, bool fails) {
  self->delayed_send(self, duration, done_atom::value);
  return {
    [=](done_atom) {
      run_result r{id, !fails, fails ? "simulated failure" : ""};
      self->send(dev, done_atom::value, std::move(r));
      self->quit();
    },
  };
}

void register_devices(device_host_actor::stateful_pointer<sim_host_state> self,
                      task_manager_actor manager) {
  auto devs = simulated_devices(self->state.opts);
  self->request(manager, request_timeout, register_atom::value,
                self->state.opts.node,
                caf::actor_cast<device_host_actor>(self), devs)
    .then(
      [=](ok_atom) {
        spdlog::info("sim host '{}': {} simulated devices registered",
                     self->state.opts.node, self->state.opts.devices);
      },
      [=](caf::error& err) {
        spdlog::error("sim host: registration failed ({}), retrying",
                      to_api_error(err).message);
        register_devices(self, manager);
      });
}

} // namespace

device_host_actor::behavior_type
sim_host(device_host_actor::stateful_pointer<sim_host_state> self,
         sim_options opts, task_manager_actor manager) {
  self->state.opts = std::move(opts);
  // Runners are linked: when the host goes, its runs end with it.
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    auto& runs = self->state.runs;
    for (auto i = runs.begin(); i != runs.end(); ++i) {
      if (i->second.runner.address() != msg.source)
        continue;
      // A runner that ended on its own has reported; one that crashed has
      // not, and its task must not stay running forever.
      if (msg.reason)
        self->send(i->second.device, done_atom::value,
                   run_result{i->first, false, "runner died"});
      runs.erase(i);
      return;
    }
    if (msg.reason)
      self->quit(msg.reason); // from the supervisor or a linked peer
  });
  if (self->state.opts.devices > 0)
    register_devices(self, manager);
  return {
    [=](run_atom, run_order& order) {
      auto dev = caf::actor_cast<device_actor>(self->current_sender());
      auto& st = self->state;
      std::bernoulli_distribution fail(st.opts.failure_rate);
      auto id = order.t.id;
      auto runner = self->spawn<caf::linked>(sim_runner, dev, id,
                                             st.opts.task_duration,
                                             fail(st.rng));
      st.runs[id] = sim_run{runner, dev};
    },
    [=](cancel_atom, task_id id) {
      auto& runs = self->state.runs;
      auto i = runs.find(id);
      if (i == runs.end())
        return;
      self->unlink_from(i->second.runner); // its exit is not news to us
      self->send_exit(i->second.runner, caf::exit_reason::user_shutdown);
      runs.erase(i);
    },
  };
}

} // namespace tmx

#include "actors/sim_host.hpp"

#include "actors/host_runs.hpp"
#include "actors/timeouts.hpp"
#include "host/screen_image.hpp"
#include "model/run_policy.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/result.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace tmx {

std::vector<device_desc> simulated_devices(const sim_options& opts) {
  std::vector<device_desc> result;
  for (int i = 1; i <= opts.devices; ++i) {
    char number[16];
    std::snprintf(number, sizeof(number), "%04d", i);
    auto serial = opts.prefix + number;
    device_desc d;
    d.serial = serial;
    d.accounts = {serial + "-a", serial + "-b"};
    d.model = "tmx simulated phone";
    result.push_back(std::move(d));
  }
  return result;
}

namespace {

/// What a simulated script prints, step by step.
std::vector<std::string> sim_steps(const task& t) {
  if (t.script_name == "post")
    return {"opening the app", "uploading material", "writing the caption",
            "publishing"};
  if (t.script_name == "follow" || t.script_name == "unfollow")
    return {"opening the app", "looking up the target user",
            t.script_name + " tapped"};
  if (t.script_name == "account_warmup")
    return {"opening the app", "watching the feed", "liking by probability"};
  if (t.script_name == "comment")
    return {"opening the post", "writing the comment", "posting the comment"};
  return {"opening the app", "running " + t.script_name};
}

millis clock_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// One simulated script run: prints its steps spread over the duration and
/// reports to the device at the end, unless the host ends it first or its
/// timeout comes first.
caf::behavior sim_runner(caf::event_based_actor* self, device_actor dev,
                         run_order order, caf::timespan duration, bool fails) {
  auto steps = std::make_shared<std::vector<std::string>>(sim_steps(order.t));
  auto lines = std::make_shared<std::vector<log_line>>();
  auto id = order.t.id;
  auto timeout = std::chrono::milliseconds(order.timeout);
  bool times_out = order.timeout > 0 && timeout < duration;
  for (size_t i = 0; i < steps->size(); ++i) {
    auto at = duration * static_cast<int64_t>(i)
              / static_cast<int64_t>(steps->size());
    if (times_out && at >= timeout)
      continue;
    if (at.count() == 0) // now: no trip through the clock
      self->send(self, log_atom::value, i);
    else
      self->delayed_send(self, at, log_atom::value, i);
  }
  auto end = times_out ? caf::timespan{timeout} : duration;
  if (end.count() == 0)
    self->send(self, done_atom::value);
  else
    self->delayed_send(self, end, done_atom::value);
  return {
    [=](log_atom, size_t step) {
      lines->push_back({clock_millis(), (*steps)[step]});
    },
    [=](done_atom) {
      run_result r{id, !fails && !times_out, "", std::move(*lines)};
      if (times_out)
        r.remark = timeout_remark(order.timeout);
      else if (fails)
        r.remark = "simulated failure";
      self->send(dev, done_atom::value, std::move(r));
      self->quit();
    },
  };
}

void end_run(device_host_actor::stateful_pointer<sim_host_state> self,
             const sim_run& run) {
  self->unlink_from(run.runner); // its exit is not news to us
  self->send_exit(run.runner, caf::exit_reason::user_shutdown);
}

} // namespace

device_host_actor::behavior_type
sim_host(device_host_actor::stateful_pointer<sim_host_state> self,
         sim_options opts) {
  self->state.opts = std::move(opts);
  // Runners are linked: when the host goes, its runs end with it.
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    if (settle_runner_exit(self, self->state.runs, msg))
      return;
    if (msg.reason)
      self->quit(msg.reason); // from the supervisor or a linked peer
  });
  return {
    [=](run_atom, run_order& order) {
      auto dev = caf::actor_cast<device_actor>(self->current_sender());
      auto& st = self->state;
      std::bernoulli_distribution fail(st.opts.failure_rate);
      auto id = order.t.id;
      auto serial = order.serial;
      auto script = order.t.script_name;
      auto runner = self->spawn<caf::linked>(sim_runner, dev, std::move(order),
                                             st.opts.task_duration,
                                             fail(st.rng));
      st.runs[id] = sim_run{runner, dev, std::move(serial), std::move(script)};
    },
    [=](cancel_atom, task_id id) {
      auto& runs = self->state.runs;
      auto i = runs.find(id);
      if (i == runs.end())
        return;
      end_run(self, i->second);
      runs.erase(i);
    },
    [=](stop_atom) {
      auto& runs = self->state.runs;
      if (!runs.empty())
        spdlog::warn("sim host '{}': ending {} runs", self->state.opts.node,
                     runs.size());
      for (auto& [id, run] : runs)
        end_run(self, run);
      runs.clear();
    },
    [=](get_atom) { return simulated_devices(self->state.opts); },
    // Simulated devices never change: nothing to report.
    [=](attach_atom, const device_report_actor&) {},
    [=](screen_atom, const std::string& serial) -> caf::result<std::string> {
      std::string caption = "idle";
      for (auto& [id, run] : self->state.runs)
        if (run.serial == serial)
          caption = "task " + std::to_string(id) + " " + run.script;
      return host::sim_screen_png(serial, caption);
    },
  };
}

} // namespace tmx

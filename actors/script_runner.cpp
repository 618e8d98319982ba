#include "actors/script_runner.hpp"

#include "model/run_policy.hpp"
#include "model/secrets.hpp"

#include <caf/actor_cast.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

namespace tmx::host {

// Local messages from the watcher thread to the runner (never serialised).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, output_line& x) {
  return f(caf::meta::type_name("output_line"), x.at, x.is_stderr, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_exit& x) {
  return f(caf::meta::type_name("process_exit"), x.started, x.error, x.exited,
           x.code, x.signal);
}

} // namespace tmx::host

namespace tmx {

std::vector<std::string> script_environment(const run_order& order,
                                            const script_run_options& opts) {
  auto port = std::to_string(opts.adb_port);
  return {"ANDROID_SERIAL=" + order.serial,
          "TMX_TASK_ID=" + std::to_string(order.t.id),
          "TMX_SCRIPT=" + order.t.script_name,
          "TMX_USERNAME=" + order.t.username,
          "TMX_NODE=" + opts.node,
          "ANDROID_ADB_SERVER_PORT=" + port,
          "ADB_SERVER_SOCKET=tcp:" + opts.adb_address + ":" + port};
}

namespace {

using runner_ptr = caf::stateful_actor<script_runner_state>*;

/// A regular file we may execute: anything else is "no script".
bool is_script(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
         && ::access(path.c_str(), X_OK) == 0;
}

void report(runner_ptr self, run_result r) {
  self->send(self->state.device, done_atom::value, std::move(r));
  self->quit();
}

void ended(runner_ptr self, const host::process_exit& x) {
  auto& st = self->state;
  if (st.cancelled) {
    self->quit();
    return;
  }
  run_result r;
  r.id = st.order.t.id;
  if (!x.started) {
    r.remark = x.error == "not found" || x.error == "not executable"
                 ? missing_script_remark(st.order.t.script_name, st.opts.node)
                 : "cannot start script " + st.order.t.script_name + ": "
                     + x.error;
  } else if (st.timed_out) {
    r.remark = timeout_remark(st.order.timeout);
  } else {
    auto outcome = script_outcome(st.output, x.exited, x.code, x.signal);
    r.ok = outcome.ok;
    r.remark = std::move(outcome.remark);
    r.exit_code = outcome.exit_code;
  }
  report(self, std::move(r));
}

} // namespace

caf::behavior script_runner(runner_ptr self, device_actor device,
                            run_order order, script_run_options opts) {
  auto& st = self->state;
  st.device = std::move(device);
  st.order = std::move(order);
  st.opts = std::move(opts);
  auto id = st.order.t.id;
  auto path = st.opts.scripts_dir + "/" + st.order.t.script_name;
  if (st.order.t.script_name.find('/') != std::string::npos
      || !is_script(path)) {
    // At once, without a process: the task fails, the device is free.
    report(self, run_result{id,
                            false,
                            missing_script_remark(st.order.t.script_name,
                                                  st.opts.node),
                            {}});
    return {};
  }
  host::process_spec spec;
  spec.executable = path;
  spec.env = script_environment(st.order, st.opts);
  // The one place a secret leaves tmx in clear: the script needs it.
  spec.stdin_data = st.order.t.script_config;
  st.secrets = secrets_of(spec.stdin_data);
  auto me = caf::actor_cast<caf::actor>(self);
  st.process = host::script_process::start(
    std::move(spec), host::process_limits{},
    [me](std::vector<host::output_line> lines) {
      caf::anon_send(me, log_atom::value, std::move(lines));
    },
    [me](host::process_exit x) { caf::anon_send(me, done_atom::value, x); });
  if (st.order.timeout > 0)
    self->delayed_send(self, std::chrono::milliseconds(st.order.timeout),
                       tick_atom::value);
  auto grace = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.opts.stop_grace);
  return {
    [=](log_atom, std::vector<host::output_line>& lines) {
      auto& st = self->state;
      if (st.cancelled)
        return;
      std::vector<log_line> out;
      out.reserve(lines.size());
      for (auto& line : lines) {
        // Before the remark and the log see it: neither may show a key.
        if (!st.secrets.empty())
          line.text = redacted(line.text, st.secrets);
        st.output.line(line.is_stderr, line.text);
        out.push_back({line.at, std::move(line.text)});
      }
      self->send(st.device, log_atom::value, st.order.t.id, std::move(out));
    },
    [=](done_atom, const host::process_exit& x) { ended(self, x); },
    [=](tick_atom) {
      auto& st = self->state;
      if (st.cancelled || st.timed_out)
        return;
      st.timed_out = true;
      st.process->terminate(grace);
    },
    [=](cancel_atom) {
      auto& st = self->state;
      if (st.cancelled)
        return;
      st.cancelled = true;
      st.process->terminate(grace);
    },
  };
}

} // namespace tmx

// The runner of one task on an adb device: the task's script as a process
// (host/script_process), its lines sent live to the device actor, its end
// turned into the task's result.
#pragma once

#include "actors/actors.hpp"
#include "host/script_process.hpp"
#include "model/script_outcome.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>

#include <memory>

namespace tmx {

/// What every script run of a host shares.
struct script_run_options {
  std::string node;
  std::string scripts_dir = "./scripts";
  caf::timespan stop_grace = std::chrono::seconds(5);
  std::string adb_address = "127.0.0.1";
  uint16_t adb_port = 5037;
};

struct script_runner_state {
  static inline const char* name = "script_runner";
  device_actor device;
  run_order order;
  script_run_options opts;
  script_output output;
  /// The config's secrets: redacted from every line before it is kept.
  std::vector<std::string> secrets;
  bool cancelled = false; // ended by its host: reports nothing
  bool timed_out = false;
  // Last: destroyed first when the runner ends, which kills what is left of
  // the process group and joins the watcher thread.
  std::unique_ptr<host::script_process> process;
};

/// Reports (log_atom, id, lines) while the script prints and (done_atom,
/// run_result) at its end to `device`. (cancel_atom) ends the script
/// (SIGTERM to its group, SIGKILL after the stop grace) and reports nothing.
caf::behavior script_runner(caf::stateful_actor<script_runner_state>* self,
                            device_actor device, run_order order,
                            script_run_options opts);

/// The environment a script gets (CONTRACT.md "Script processes").
std::vector<std::string> script_environment(const run_order& order,
                                            const script_run_options& opts);

} // namespace tmx

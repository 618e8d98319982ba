// The two processes a script run forks (see script_process.hpp): the
// shepherd, which leads the run's process group, and the script under it.
// Internal to host/; only script_process.cpp uses it.
#pragma once

#include "host/script_process.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tmx::host::detail {

// Records on the status pipe; one write each, so they never interleave.
struct status_record {
  int32_t kind;
  int32_t value;
};
constexpr int32_t spawn_failed = 1; // value: errno of execve or fork
constexpr int32_t script_ended = 2; // value: raw wait status of the script

// Everything the children need, built before fork: after fork only
// async-signal-safe calls are allowed (other threads may hold malloc locks).
struct exec_plan {
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
  pid_t host = 0;
  std::array<int, 4> child_fds{}; // stdin, stdout, stderr, status
};

// Fills `plan` from `spec`, whose strings it points into (so `spec` must
// outlive the fork): the host's environment with `spec.env` on top.
void plan_exec(exec_plan& plan, process_spec& spec,
               std::array<int, 4> child_fds);

// Runs in the child of fork() and never returns: leads a new process group,
// starts the script, reports how it ended on the status pipe, then kills
// the group. Async-signal-safe calls only.
[[noreturn]] void shepherd(const exec_plan& plan);

} // namespace tmx::host::detail

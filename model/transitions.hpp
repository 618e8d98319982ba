// Every change of a task's state as a pure function: the task manager
// computes the next state with these, writes it, and applies it only once
// the write is durable. No actors, no I/O.
#pragma once

#include "model/run_policy.hpp"
#include "model/task.hpp"
#include "model/task_log.hpp"

#include <string>
#include <vector>

namespace tmx {

/// How a run ended, as its runner reports it.
struct run_result {
  task_id id = 0;
  bool ok = false;
  std::string remark;
  std::vector<log_line> lines;  // printed and not yet sent as live lines
  int exit_code = no_exit_code; // of a script process that ended on its own
};

constexpr const char* stopped_remark = "stopped by user";
constexpr const char* interrupted_remark = "interrupted by server restart";

/// A pending or running task stopped (by user): failed, and a running one
/// finished now.
task stopped(const task& t, millis now);

/// A pending task handed to `node`: running from now.
task started(const task& t, const std::string& node, millis now);

/// A failed task made pending again (by user or automatically) at the back
/// of its queue (`queue_seq`); a start time long past becomes "now".
task retried(const task& t, uint64_t queue_seq, millis now);

/// A task that was running when the server ended: failed, not re-run.
task interrupted(const task& t, millis now);

/// The log of a run as it starts: the old one is replaced.
task_log start_log(const task& started);

/// The line that ends a run's log when it ended early (stopped,
/// interrupted): appended after what the run printed.
task_log end_log(const task& ended);

/// A run's end: the task completed or failed, or pending again for an
/// automatic retry at `t.scheduled_at`, and the lines to append to its log.
struct run_end {
  task t;
  task_log log;
};

/// `retry_delay` and `queue_seq` are used only when the run is retried
/// automatically (a failed run with automatic retries left).
run_end after_run(const task& t, run_result r, const retry_policy& policy,
                  millis now, millis retry_delay, uint64_t queue_seq);

/// Whether a failed run of `t` is retried automatically under `policy`.
bool retries_automatically(const task& t, bool ok, const retry_policy& policy);

} // namespace tmx

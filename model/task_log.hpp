// A task's log: the lines its runs printed, and a change to the stored log
// (replace or append). Plain data, no actors, no I/O.
#pragma once

#include "model/task.hpp"

#include <string>
#include <vector>

namespace tmx {

/// One line of a task's log, as the task printed it.
struct log_line {
  millis at = 0;
  std::string text;
};

/// Lines of a task's log: store::update() stores them in place of the old
/// log, or after it when `append` is set (a run's live lines, its end).
struct task_log {
  task_id id = 0;
  std::vector<log_line> lines; // oldest first
  bool append = false;
};

} // namespace tmx

// The task record as the whole system sees it: what a client asked to run,
// where, and what happened to it. Plain data, no actors, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tmx {

using task_id = uint64_t;

/// Milliseconds since the Unix epoch (UTC). 0 means "not set" (JSON null).
using millis = int64_t;

/// A task's exit_code when its last run did not end on its own (JSON null).
constexpr int no_exit_code = -1;

/// Values are part of the API and of the on-disk format: never renumber.
enum class task_status : uint8_t {
  pending = 0,
  running = 1,
  completed = 2,
  failed = 3,
};

constexpr int status_count = 4;

std::string_view status_text(task_status s);

/// Parses "0".."3"; false on anything else.
bool parse_status(std::string_view text, task_status& out);

struct task {
  task_id id = 0;
  std::string serial;
  std::string username; // "" = null (device mode without accounts)
  std::string script_name;
  std::string script_config; // compact JSON object text, defaults applied
  task_status status = task_status::pending;
  std::string source = "api"; // "api" | "ui" | "schedule"
  millis scheduled_at = 0;    // 0 = as soon as possible
  millis created_at = 0;
  millis started_at = 0;
  millis finished_at = 0;
  uint32_t retry_count = 0;
  std::string remark;
  std::string node; // "" = null (never ran)
  /// Position in the device queue: assigned each time the task becomes
  /// pending, so a restart rebuilds every queue in its original order.
  uint64_t queue_seq = 0;
  /// How many of retry_count were automatic (the rest were asked for).
  uint32_t auto_retry_count = 0;
  /// The script process's exit code of the last run, or no_exit_code.
  int exit_code = no_exit_code;
  /// The schedule that created the task, 0 = none (JSON null).
  uint64_t schedule_id = 0;

  bool active() const {
    return status == task_status::pending || status == task_status::running;
  }
};

bool operator==(const task& a, const task& b);
inline bool operator!=(const task& a, const task& b) {
  return !(a == b);
}

} // namespace tmx

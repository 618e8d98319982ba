// What a list query asks for and what it and the stats get back: a filter
// over the indexed fields, one page of tasks, the counts per status. Plain
// data, no actors, no I/O.
#pragma once

#include "model/task.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tmx {

/// Empty strings / nullopt mean "any".
struct task_filter {
  std::optional<task_status> status;
  std::string serial;
  std::string script_name;
  std::string source;
};

struct task_page {
  std::vector<task> tasks; // newest first (id descending)
  uint64_t total = 0;      // all tasks matching the filter
};

/// A pending task in its device's queue, as the store keeps it (in queue
/// order: ascending seq).
struct queued_entry {
  task_id id = 0;
  uint64_t seq = 0;        // the task's queue_seq
  millis scheduled_at = 0; // 0: as soon as possible
  std::string username;    // "" = no account
};

struct task_counts {
  uint64_t total = 0;
  std::array<uint64_t, status_count> by_status{}; // indexed by task_status
};

} // namespace tmx

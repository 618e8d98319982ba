// The schedule object of the API as JSON (see docs/api.md "Schedules").
#pragma once

#include "model/schedule.hpp"
#include "model/task_json.hpp"

namespace tmx {

/// `{id, name, enabled, weekdays, times, task, next_run_at, last_run_at,
/// last_task_ids, created_at}`; the task body's secrets are shown as
/// "***", as in every rendering of a script_config.
void write_schedule(json_writer& w, const schedule& s);

} // namespace tmx

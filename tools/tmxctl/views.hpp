// How tmxctl shows the API's objects to people: tables and summary lines
// made from the JSON the server sent (--json prints that JSON instead).
#pragma once

#include "tools/tmxctl/output.hpp"

#include <rapidjson/document.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace tmxctl {

/// "2026-11-29T14:30:00.123+01:00" → "2026-11-29 14:30:00"; null → "-".
std::string short_time(const rapidjson::Value& v);

/// Seconds as "850ms", "2.0s", "3m05s", "2h03m"; null → "-".
std::string short_duration(const rapidjson::Value& seconds);

/// The task objects of a list, one row each.
void print_tasks(std::ostream& out, const terminal& term,
                 const rapidjson::Value& tasks);

/// One task object, field by field, then the lines of its log data.
void print_task(std::ostream& out, const terminal& term,
                const rapidjson::Value& task, const rapidjson::Value& log);

void print_devices(std::ostream& out, const terminal& term,
                   const rapidjson::Value& devices);

void print_nodes(std::ostream& out, const terminal& term,
                 const rapidjson::Value& nodes);

void print_accounts(std::ostream& out, const terminal& term,
                    const rapidjson::Value& accounts);

/// Device groups: name, serials, when created.
void print_groups(std::ostream& out, const terminal& term,
                  const rapidjson::Value& groups);

/// Schedules: name, enabled, weekdays, times, next and last run, and the
/// tasks of the last run.
void print_schedules(std::ostream& out, const terminal& term,
                     const rapidjson::Value& schedules);

/// The stats object: "9 total: 2 pending, 1 running, 5 completed, 1 failed".
std::string stats_line(const terminal& term, const rapidjson::Value& stats);

/// How many of `objects` (devices, nodes) are in each of `states`:
/// "8: 1 busy, 7 online, 0 offline".
std::string states_line(const terminal& term, const rapidjson::Value& objects,
                        const std::vector<std::string>& states);

/// The data object of one event ({type, at, task | device | node}) as a
/// line: "2026-11-29 14:30:00.123  task.completed  task 12  completed
/// sim-0001  post", with the remark of a task, the reason of an offline
/// device.
std::string event_line(const terminal& term, const rapidjson::Value& data);

/// A page of a list reply ({<what>: [...], total, page, page_size}):
/// "tasks 21-40 of 45 (page 2 of 3)", or "no tasks".
std::string page_line(const std::string& what, const rapidjson::Value& data);

} // namespace tmxctl

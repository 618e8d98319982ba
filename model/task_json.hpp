// The contract's task object as JSON, written with RapidJSON. Shared by the
// HTTP API and tmxctl's offline dump, so both write the very same object.
#pragma once

#include "model/task.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace tmx {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void json_string(json_writer& w, std::string_view s);

/// null for "".
void json_string_or_null(json_writer& w, const std::string& s);

/// null for 0, else ISO-8601 with milliseconds and the local offset.
void json_time_or_null(json_writer& w, millis t);

/// The contract's task object; `now` gives duration_s of a running task.
void write_task(json_writer& w, const task& t, millis now);

/// write_task on its own: the compact JSON text of one task object.
std::string task_json(const task& t, millis now);

} // namespace tmx

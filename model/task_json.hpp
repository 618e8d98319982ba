// The contract's task object as JSON, written with RapidJSON, and the field
// writers every API object uses. Shared by the HTTP API and tmxctl's
// offline dump, so both write the very same objects.
#pragma once

#include "model/task.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

namespace tmx {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void json_string(json_writer& w, std::string_view s);

// Object members. The model keeps absent strings "" and absent times and
// ids 0; the API shows them as null.

void put(json_writer& w, const char* key, std::string_view value);

/// null for "".
void put_or_null(json_writer& w, const char* key, const std::string& value);

/// null for 0, else ISO-8601 with milliseconds and the local offset.
void put_time(json_writer& w, const char* key, millis t);

/// null for 0.
void put_id(json_writer& w, const char* key, uint64_t id);

void put_count(json_writer& w, const char* key, uint64_t n);

void put_strings(json_writer& w, const char* key,
                 const std::vector<std::string>& values);

/// The contract's task object; `now` gives duration_s of a running task.
void write_task(json_writer& w, const task& t, millis now);

/// write_task on its own: the compact JSON text of one task object.
std::string task_json(const task& t, millis now);

} // namespace tmx

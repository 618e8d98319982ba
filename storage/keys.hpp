// Key encoding of the store: big-endian fixed-width ids (byte order =
// numeric order) and length-prefixed field values, so any bytes are safe.
#pragma once

#include "model/task.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tmx::keys {

/// The first byte of index and counter keys. On-disk values: never renumber.
enum class field : uint8_t {
  total = 0, // counter key only: the number of tasks
  status = 1,
  serial = 2,
  script = 3,
  source = 4,
  due = 5, // index only, no counter: see due()
};

/// The task fields that have an index entry and a counter per value.
constexpr std::array<field, 4> indexed_fields{field::status, field::serial,
                                              field::script, field::source};

constexpr size_t id_size = 8;

/// Appends `v`, 8 bytes big-endian.
void put_u64(std::string& out, uint64_t v);
std::string u64_bytes(uint64_t v);

/// Reads the first 8 bytes of `in` (which must hold at least 8).
uint64_t get_u64(std::string_view in);

/// Appends u32 length | `text`: no text is a prefix of another's encoding.
void put_text(std::string& out, std::string_view text);
/// Reads a text written by put_text at the front of `in` and drops it from
/// `in`; false when `in` is too short for the length it holds.
bool take_text(std::string_view& in, std::string_view& text);

/// Appends a time, 8 bytes big-endian with its sign bit flipped, so that
/// byte order is numeric order for negative times too; get_time reads it.
void put_time(std::string& out, millis at);
millis get_time(std::string_view in);

/// Tasks table: the id, 8 bytes big-endian.
std::string task_key(task_id id);

/// The id at the end of a task key or an index key; false when `key` is
/// shorter than an id.
bool id_of(std::string_view key, task_id& out);

/// The bytes a task is indexed and counted under for `f` (one byte for the
/// status, the string itself for the others).
std::string field_value(const task& t, field f);
std::string status_value(task_status s);

/// tag | u32 length | value: the prefix of every index entry of that value
/// and, in the counters table, the key of its counter. The length makes the
/// prefix of one value never a prefix of another's.
std::string value_prefix(field f, std::string_view value);

/// Reads a key that starts with a value_prefix: its field, its value and
/// the bytes after it (an index entry's id; nothing in a counter key).
/// False when the key is too short for the length it holds.
bool split_value_prefix(std::string_view key, field& f, std::string_view& value,
                        std::string_view& rest);

/// "status", "serial", "script", "source", "due" or "total".
const char* field_name(field f);

/// value_prefix | id → empty.
std::string index(field f, std::string_view value, task_id id);

/// The counter of all tasks.
std::string total_counter();

/// The due index: due | 8 bytes `at` | id, for each pending task with a
/// scheduled_at. `at` is big-endian with its sign bit flipped, so that byte
/// order is numeric order for negative times too.
constexpr size_t due_size = 1 + 8 + id_size;
std::string due(millis at, task_id id);

/// Reads a key written by due(); false when it is not one.
bool parse_due(std::string_view key, millis& at, task_id& id);

// Meta table keys; values are u64 big-endian.
constexpr std::string_view schema_version = "schema_version";
constexpr std::string_view next_id = "next_id";
constexpr std::string_view next_queue_seq = "next_queue_seq";
constexpr std::string_view next_webhook_id = "next_webhook_id";
constexpr std::string_view next_schedule_id = "next_schedule_id";
constexpr std::string_view expired = "expired"; // tasks retention deleted

/// The events table: the event id, big-endian.
std::string event_key(uint64_t id);

/// The webhooks table: 'w' | id → registration, 'c' | id → cursor.
std::string webhook_key(uint64_t id);
std::string webhook_cursor_key(uint64_t id);

/// The schedules table: the schedule id, big-endian.
std::string schedule_key(uint64_t id);

} // namespace tmx::keys

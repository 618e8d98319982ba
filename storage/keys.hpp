// Key encoding of the store: big-endian fixed-width ids (byte order =
// numeric order), length-prefixed texts, so any bytes are safe, and the
// due index.
#pragma once

#include "model/task.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tmx::keys {

/// The first byte of the keys of the index family. On disk: never renumber.
/// Tags 1-4 were the per-field index (status, serial, script, source),
/// which version 5 deletes: the list index (lists.hpp) answers for it.
constexpr char first_retired_tag = 1;
constexpr char due_tag = 5;

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

/// The due index: due_tag | 8 bytes `at` | id, for each pending task with a
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

// The on-disk records of the store: a format byte, then the fields in a
// fixed order (varint integers, length-prefixed strings).
#pragma once

#include "storage/store.hpp"

#include "model/event.hpp"
#include "model/group.hpp"
#include "model/schedule.hpp"
#include "model/webhook.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tmx::codec {

/// The format byte written first in every record, per kind of record. A new
/// layout gets the next value; decoders keep reading every older one (1 up
/// to the current).
// Task formats: 2 appended auto_retry_count, 3 exit_code, 4 schedule_id.
constexpr uint8_t task_format = 4;
constexpr uint8_t account_format = 1;
constexpr uint8_t idempotency_format = 1;
constexpr uint8_t log_format = 1;
constexpr uint8_t event_format = 1;
constexpr uint8_t webhook_format = 1;
constexpr uint8_t group_format = 1;
constexpr uint8_t schedule_format = 1;

std::string encode(const task& t);
std::string encode(const account& a);
std::string encode(const idempotency_record& r);
/// A task's log: every line given (the store trims to its cap first).
std::string encode(const std::vector<log_line>& lines);
/// An event without its id (the key holds it).
std::string encode(const event& e);
/// A webhook without its id and cursor (their keys hold them).
std::string encode(const webhook& w);
/// A device group without its name (the key holds it).
std::string encode(const device_group& g);
/// A schedule without its id (the key holds it) and next_run_at (the
/// keeper's).
std::string encode(const schedule& s);

/// False (and `out` unspecified) on a truncated or unknown record, an
/// unknown status or trailing bytes.
bool decode(std::string_view in, task& out);
bool decode(std::string_view in, account& out);
bool decode(std::string_view in, idempotency_record& out);
bool decode(std::string_view in, std::vector<log_line>& out);
bool decode(std::string_view in, event& out);

/// Renders a task event's data from its task record (nothing to do when
/// `data` is there already); false when the record cannot be decoded.
bool render(event& e);
bool decode(std::string_view in, webhook& out);
bool decode(std::string_view in, device_group& out);
/// Also false on a weekday outside 1-7 or a time past 23:59.
bool decode(std::string_view in, schedule& out);

} // namespace tmx::codec

// Time as the API writes and reads it. The server's time zone is the
// process's local zone (TZ); `tmx.timezone` sets TZ at start-up.
#pragma once

#include "model/task.hpp"

#include <string>
#include <string_view>

namespace tmx {

/// Wall clock now, in milliseconds since the epoch.
millis now_millis();

/// ISO-8601 with milliseconds and the local UTC offset at that instant,
/// e.g. "2026-11-29T14:30:00.123+01:00".
std::string format_time(millis t);

/// start_time of a create request: "HH:MM" (24 h) is the next occurrence of
/// that local time after `now` (today if still ahead, else tomorrow); an
/// ISO-8601 date-time with an offset ("Z" or "+hh:mm") is taken as is.
/// Returns false (and a rule in `error`) on anything else.
bool parse_start_time(std::string_view text, millis now, millis& out,
                      std::string& error);

/// A wall-clock time of day, "HH:MM" or "H:MM" (24 h), as start_time and
/// a schedule's times read it; false on anything else.
bool parse_clock_time(std::string_view text, int& hour, int& minute);

} // namespace tmx

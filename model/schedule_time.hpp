// When a schedule fires: its slots are its times on its weekdays, as wall
// clock in the server's time zone (the process's TZ, tmx.timezone), with
// daylight saving time resolved: a time a spring-forward skips fires at
// the first minute after the gap, a time a fall-back repeats fires once,
// at its first occurrence.
#pragma once

#include "model/schedule.hpp"

#include <cstdint>

namespace tmx {

/// The instant of the local wall-clock time `minute` (after midnight) on
/// the local date `day` (days since 1970-01-01), by the rules above.
millis local_instant(int64_t day, int minute);

/// The local date of instant `t`, as days since 1970-01-01.
int64_t local_day(millis t);

/// ISO weekday (1 = Monday .. 7 = Sunday) of a date as days since
/// 1970-01-01.
int iso_weekday(int64_t day);

/// The first slot of `s` after `after` (its enabled flag aside); 0 when it
/// has no weekday or no time.
millis next_slot(const schedule& s, millis after);

/// The last slot of `s` at or before `at`, searched back a week; 0 when
/// there is none.
millis latest_slot(const schedule& s, millis at);

} // namespace tmx

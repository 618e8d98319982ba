// The slots of a schedule in the local time zone (see schedule_time.hpp).
// Wall-clock times are read against the zone's offsets with localtime_r,
// never with mktime, whose answer for a skipped or repeated time is up to
// the C library.
#include "model/schedule_time.hpp"

#include <algorithm>
#include <ctime>

namespace tmx {

namespace {

constexpr int64_t day_seconds = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// The zone's UTC offset in seconds at epoch second `t`.
long offset_at(int64_t t) {
  auto secs = static_cast<time_t>(t);
  std::tm local{};
  if (localtime_r(&secs, &local) == nullptr)
    return 0;
  return local.tm_gmtoff;
}

bool has_weekday(const schedule& s, int weekday) {
  return std::find(s.weekdays.begin(), s.weekdays.end(), weekday)
         != s.weekdays.end();
}

/// The end of a spring-forward gap: the first instant in (lo, hi] with
/// another offset than `lo` has, moved on to the next whole minute of wall
/// clock (the zone's offsets are whole minutes today; old LMT ones are
/// not).
int64_t end_of_gap(int64_t lo, int64_t hi) {
  long start = offset_at(lo);
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (offset_at(mid) == start)
      lo = mid;
    else
      hi = mid;
  }
  int64_t into_minute = (hi + offset_at(hi)) % 60;
  if (into_minute < 0)
    into_minute += 60;
  return into_minute == 0 ? hi : hi + 60 - into_minute;
}

} // namespace

int iso_weekday(int64_t day) {
  // 1970-01-01 was a Thursday (4).
  auto from_monday = ((day % 7) + 7 + 3) % 7;
  return static_cast<int>(from_monday) + 1;
}

int64_t local_day(millis t) {
  int64_t secs = floor_div(t, 1000);
  return floor_div(secs + offset_at(secs), day_seconds);
}

millis local_instant(int64_t day, int minute) {
  // The wall clock read as if it were UTC; the instant is that minus the
  // offset in force then. A transition is never within a day of another,
  // so the offsets a day before and after are the only candidates.
  int64_t wall = day * day_seconds + minute * 60;
  long before = offset_at(wall - day_seconds);
  long after = offset_at(wall + day_seconds);
  // The larger offset gives the earlier instant: the first occurrence of a
  // time that a fall-back repeats.
  long first = std::max(before, after);
  long second = std::min(before, after);
  for (long off : {first, second})
    if (offset_at(wall - off) == off)
      return (wall - off) * 1000;
  if (first == second)
    return (wall - first) * 1000;
  // Neither offset gives this wall clock: a spring-forward skips it.
  return end_of_gap(wall - first, wall - second) * 1000;
}

millis next_slot(const schedule& s, millis after) {
  if (s.weekdays.empty() || s.times.empty())
    return 0;
  int64_t from = local_day(after);
  millis best = 0;
  // Slots are in order within a day (a skipped time joins the next valid
  // minute, a repeated one its first occurrence): the first one after
  // `after` is that day's candidate. A day before and a week after cover
  // every zone's date line moves.
  for (int64_t day = from - 1; day <= from + 8; ++day) {
    if (best != 0 && day > local_day(best) + 1)
      break;
    if (!has_weekday(s, iso_weekday(day)))
      continue;
    for (auto minute : s.times) {
      millis t = local_instant(day, minute);
      if (t > after) {
        if (best == 0 || t < best)
          best = t;
        break;
      }
    }
  }
  return best;
}

millis latest_slot(const schedule& s, millis at) {
  if (s.weekdays.empty() || s.times.empty())
    return 0;
  int64_t from = local_day(at);
  millis best = 0;
  for (int64_t day = from + 1; day >= from - 8; --day) {
    if (best != 0 && day < local_day(best) - 1)
      break;
    if (!has_weekday(s, iso_weekday(day)))
      continue;
    for (auto minute = s.times.rbegin(); minute != s.times.rend(); ++minute) {
      millis t = local_instant(day, *minute);
      if (t <= at) {
        best = std::max(best, t);
        break;
      }
    }
  }
  return best;
}

} // namespace tmx

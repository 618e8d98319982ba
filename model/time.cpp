// Time as the API writes and reads it: local-zone ISO-8601 output and the
// start_time forms a create request accepts.
#include "model/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace tmx {

namespace {

constexpr const char* start_time_rule
  = "must be HH:MM (24 h) or an ISO-8601 date-time with offset";

// Floor division, so instants before the epoch still split into a second
// and a non-negative millisecond part.
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil): avoids timegm, which is not standard C++.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// A cursor over the text that reads fixed-width digit groups.
struct scanner {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos == text.size(); }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }

  bool skip(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }

  bool is_digit() const {
    return pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
  }

  bool digits(size_t n, int& out) {
    out = 0;
    for (size_t i = 0; i < n; ++i, ++pos) {
      if (!is_digit())
        return false;
      out = out * 10 + (text[pos] - '0');
    }
    return true;
  }
};

// "HH:MM" or "H:MM"; hours 0-23, minutes exactly two digits 00-59.
bool parse_clock(std::string_view text, int& hour, int& minute) {
  if (text.size() != 4 && text.size() != 5)
    return false;
  scanner s{text};
  return s.digits(text.size() - 3, hour) && s.skip(':') && s.digits(2, minute)
         && s.done() && hour <= 23 && minute <= 59;
}

// Local wall-clock time on the calendar day `day_offset` days after the one
// of `base`, as an epoch second. tm_isdst = -1 lets mktime pick the offset
// valid on that day, which keeps the result right across DST changes.
time_t local_at(const std::tm& base, int day_offset, int hour, int minute) {
  std::tm t{};
  t.tm_year = base.tm_year;
  t.tm_mon = base.tm_mon;
  t.tm_mday = base.tm_mday + day_offset;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_isdst = -1;
  return std::mktime(&t);
}

bool next_local_clock(int hour, int minute, millis now, millis& out) {
  time_t now_s = static_cast<time_t>(floor_div(now, 1000));
  std::tm today{};
  if (localtime_r(&now_s, &today) == nullptr)
    return false;
  for (int day = 0; day <= 1; ++day) {
    time_t t = local_at(today, day, hour, minute);
    if (t == static_cast<time_t>(-1))
      return false;
    if (static_cast<millis>(t) * 1000 > now) {
      out = static_cast<millis>(t) * 1000;
      return true;
    }
  }
  return false;
}

enum class iso_result { ok, no_offset, invalid };

// "YYYY-MM-DD(T| )HH:MM[:SS[.f+]](Z|±HH:MM)"; fractions beyond milliseconds
// are truncated.
iso_result parse_iso(std::string_view text, millis& out) {
  scanner s{text};
  int year, month, day, hour, minute, second = 0, ms = 0;
  if (!s.digits(4, year) || !s.skip('-') || !s.digits(2, month) || !s.skip('-')
      || !s.digits(2, day) || !(s.skip('T') || s.skip(' '))
      || !s.digits(2, hour) || !s.skip(':') || !s.digits(2, minute))
    return iso_result::invalid;
  if (s.skip(':')) {
    if (!s.digits(2, second))
      return iso_result::invalid;
    if (s.skip('.')) {
      if (!s.is_digit())
        return iso_result::invalid;
      for (int scale = 100; s.is_digit(); ++s.pos, scale /= 10)
        ms += (s.text[s.pos] - '0') * scale;
    }
  }
  if (month < 1 || month > 12 || day < 1
      || static_cast<unsigned>(day) > days_in_month(year, month) || hour > 23
      || minute > 59 || second > 59)
    return iso_result::invalid;
  int offset_min = 0;
  if (s.done())
    return iso_result::no_offset;
  if (!s.skip('Z') && !s.skip('z')) {
    int sign = s.peek('-') ? -1 : 1;
    int off_h, off_m;
    if (!(s.skip('+') || s.skip('-')) || !s.digits(2, off_h) || !s.skip(':')
        || !s.digits(2, off_m) || off_h > 23 || off_m > 59)
      return iso_result::invalid;
    offset_min = sign * (off_h * 60 + off_m);
  }
  if (!s.done())
    return iso_result::invalid;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month),
                                 static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second
                 - offset_min * 60;
  out = secs * 1000 + ms;
  return iso_result::ok;
}

} // namespace

millis now_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

std::string format_time(millis t) {
  time_t secs = static_cast<time_t>(floor_div(t, 1000));
  int ms = static_cast<int>(t - static_cast<millis>(secs) * 1000);
  std::tm local{};
  localtime_r(&secs, &local);
  long offset = local.tm_gmtoff / 60;
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0)
    offset = -offset;
  char buf[64];
  std::snprintf(buf, sizeof buf,
                "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                local.tm_year + 1900, local.tm_mon + 1, local.tm_mday,
                local.tm_hour, local.tm_min, local.tm_sec, ms, sign,
                offset / 60, offset % 60);
  return buf;
}

bool parse_clock_time(std::string_view text, int& hour, int& minute) {
  return parse_clock(text, hour, minute);
}

bool parse_start_time(std::string_view text, millis now, millis& out,
                      std::string& error) {
  int hour, minute;
  if (parse_clock(text, hour, minute)) {
    if (next_local_clock(hour, minute, now, out))
      return true;
    error = "could not be resolved in the server's time zone";
    return false;
  }
  switch (parse_iso(text, out)) {
    case iso_result::ok: return true;
    case iso_result::no_offset:
      error = "must carry a UTC offset (Z or +hh:mm) when it has a date";
      return false;
    case iso_result::invalid: break;
  }
  error = start_time_rule;
  return false;
}

} // namespace tmx

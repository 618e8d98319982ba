// Unit tests of the schedules' pure parts: the slots in a time zone
// (weekdays, several times a day, midnight, year end, both directions of
// daylight saving time with zone names and POSIX rules), what a schedule
// owes at start-up, the request and patch bodies with every rule, and the
// schedule object's JSON.
#define BOOST_TEST_MODULE schedule_model
#include <boost/test/unit_test.hpp>

#include "tests/time_zone.hpp"

#include "model/schedule.hpp"
#include "model/schedule_json.hpp"
#include "model/schedule_time.hpp"
#include "model/time.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

using namespace tmx;
using tmx::test::zone;

namespace {

constexpr millis minute = 60 * 1000;

/// An instant written with its offset.
millis at(const std::string& iso) {
  millis out = 0;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_start_time(iso, 0, out, error), iso << error);
  return out;
}

/// An instant as the API writes it, in the zone of the test.
std::string local(millis t) {
  return t == 0 ? "none" : format_time(t);
}

schedule rules(std::vector<uint8_t> weekdays, std::vector<uint16_t> times) {
  schedule s;
  s.weekdays = std::move(weekdays);
  s.times = std::move(times);
  return s;
}

const std::vector<uint8_t> every_day{1, 2, 3, 4, 5, 6, 7};

uint16_t hm(int h, int m) {
  return static_cast<uint16_t>(h * 60 + m);
}

std::string next_after(const schedule& s, const std::string& iso) {
  return local(next_slot(s, at(iso)));
}

std::string latest_at(const schedule& s, const std::string& iso) {
  return local(latest_slot(s, at(iso)));
}

} // namespace

// -- slots --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(weekdays_filter_the_days) {
  zone berlin("Europe/Berlin");
  auto weekdays = rules({1, 2, 3, 4, 5}, {hm(9, 0)});
  // Friday 2026-03-06.
  BOOST_TEST(next_after(weekdays, "2026-03-06T08:59:59+01:00")
             == "2026-03-06T09:00:00.000+01:00");
  BOOST_TEST(next_after(weekdays, "2026-03-06T09:00:00+01:00")
             == "2026-03-09T09:00:00.000+01:00"); // strictly after: Monday
  BOOST_TEST(next_after(weekdays, "2026-03-07T12:00:00+01:00")
             == "2026-03-09T09:00:00.000+01:00");
  BOOST_TEST(latest_at(weekdays, "2026-03-08T23:00:00+01:00")
             == "2026-03-06T09:00:00.000+01:00");
  BOOST_TEST(latest_at(weekdays, "2026-03-06T09:00:00+01:00")
             == "2026-03-06T09:00:00.000+01:00"); // at or before
  auto weekend = rules({6, 7}, {hm(9, 0)});
  BOOST_TEST(next_after(weekend, "2026-03-06T10:00:00+01:00")
             == "2026-03-07T09:00:00.000+01:00");
  BOOST_TEST(next_after(weekend, "2026-03-08T09:00:00+01:00")
             == "2026-03-14T09:00:00.000+01:00");
  auto wednesday = rules({3}, {hm(7, 15)});
  BOOST_TEST(next_after(wednesday, "2026-03-04T07:15:00.001+01:00")
             == "2026-03-11T07:15:00.000+01:00"); // a whole week on
  BOOST_TEST(latest_at(wednesday, "2026-03-04T07:14:59+01:00")
             == "2026-02-25T07:15:00.000+01:00"); // a whole week back
  BOOST_TEST(next_slot(rules({}, {hm(9, 0)}), at("2026-03-04T00:00:00Z")) == 0);
  BOOST_TEST(latest_slot(rules({1}, {}), at("2026-03-04T00:00:00Z")) == 0);
  BOOST_TEST(iso_weekday(0) == 4); // 1970-01-01, a Thursday
  BOOST_TEST(iso_weekday(-1) == 3);
  BOOST_TEST(iso_weekday(local_day(at("2026-03-09T12:00:00+01:00"))) == 1);
}

BOOST_AUTO_TEST_CASE(several_times_a_day_in_order) {
  zone berlin("Europe/Berlin");
  // Given in any order: the model keeps them ascending.
  auto s = rules(every_day, {hm(8, 0), hm(12, 30), hm(18, 0)});
  std::vector<std::string> slots;
  for (auto t = at("2026-03-04T00:00:00+01:00"); slots.size() < 4;) {
    t = next_slot(s, t);
    slots.push_back(local(t));
  }
  BOOST_TEST(slots
             == (std::vector<std::string>{"2026-03-04T08:00:00.000+01:00",
                                          "2026-03-04T12:30:00.000+01:00",
                                          "2026-03-04T18:00:00.000+01:00",
                                          "2026-03-05T08:00:00.000+01:00"}));
  BOOST_TEST(latest_at(s, "2026-03-04T12:29:59.999+01:00")
             == "2026-03-04T08:00:00.000+01:00");
  BOOST_TEST(latest_at(s, "2026-03-04T07:59:00+01:00")
             == "2026-03-03T18:00:00.000+01:00");
}

BOOST_AUTO_TEST_CASE(midnight_and_the_last_minute) {
  zone berlin("Europe/Berlin");
  auto s = rules(every_day, {hm(0, 0)});
  BOOST_TEST(next_after(s, "2026-03-04T23:59:59.999+01:00")
             == "2026-03-05T00:00:00.000+01:00");
  BOOST_TEST(next_after(s, "2026-03-05T00:00:00+01:00")
             == "2026-03-06T00:00:00.000+01:00");
  auto late = rules(every_day, {hm(23, 59)});
  BOOST_TEST(next_after(late, "2026-03-05T00:00:00+01:00")
             == "2026-03-05T23:59:00.000+01:00");
  BOOST_TEST(latest_at(late, "2026-03-05T23:58:59+01:00")
             == "2026-03-04T23:59:00.000+01:00");
}

BOOST_AUTO_TEST_CASE(year_end) {
  zone berlin("Europe/Berlin");
  // Fridays only; 2026-12-31 is a Thursday, 2027-01-01 a Friday.
  auto s = rules({5}, {hm(0, 0), hm(23, 30)});
  BOOST_TEST(next_after(s, "2026-12-31T23:40:00+01:00")
             == "2027-01-01T00:00:00.000+01:00");
  BOOST_TEST(next_after(s, "2027-01-01T00:00:00+01:00")
             == "2027-01-01T23:30:00.000+01:00");
  BOOST_TEST(next_after(s, "2027-01-01T23:30:00+01:00")
             == "2027-01-08T00:00:00.000+01:00");
  BOOST_TEST(latest_at(s, "2026-12-31T23:59:00+01:00")
             == "2026-12-25T23:30:00.000+01:00");
  BOOST_TEST(latest_at(s, "2027-01-01T00:10:00+01:00")
             == "2027-01-01T00:00:00.000+01:00");
  zone utc("UTC");
  auto every = rules(every_day, {hm(23, 59)});
  BOOST_TEST(next_after(every, "2026-12-31T23:59:00Z")
             == "2027-01-01T23:59:00.000+00:00");
}

BOOST_AUTO_TEST_CASE(spring_forward_fires_at_the_next_valid_minute) {
  zone berlin("Europe/Berlin");
  // 2026-03-29: 02:00 CET is 03:00 CEST; 02:00-02:59 do not exist.
  const std::string night = "2026-03-29T00:00:00+01:00";
  BOOST_TEST(next_after(rules(every_day, {hm(2, 30)}), night)
             == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(next_after(rules(every_day, {hm(2, 0)}), night)
             == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(next_after(rules(every_day, {hm(2, 59)}), night)
             == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(next_after(rules(every_day, {hm(1, 59)}), night)
             == "2026-03-29T01:59:00.000+01:00");
  BOOST_TEST(next_after(rules(every_day, {hm(3, 0)}), night)
             == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(next_after(rules(every_day, {hm(3, 1)}), night)
             == "2026-03-29T03:01:00.000+02:00");
  // A skipped time and the minute it moves to fire once.
  auto both = rules(every_day, {hm(2, 30), hm(3, 0)});
  auto first = next_slot(both, at(night));
  BOOST_TEST(local(first) == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(local(next_slot(both, first)) == "2026-03-30T02:30:00.000+02:00");
  BOOST_TEST(latest_at(both, "2026-03-29T03:30:00+02:00")
             == "2026-03-29T03:00:00.000+02:00");
  BOOST_TEST(local_instant(local_day(at(night)), 150)
             == at("2026-03-29T01:00:00Z"));
  // A day of 23 hours.
  auto daily = rules(every_day, {hm(12, 0)});
  auto before = next_slot(daily, at("2026-03-28T00:00:00+01:00"));
  BOOST_TEST(next_slot(daily, before) - before == 23 * 60 * minute);
}

BOOST_AUTO_TEST_CASE(fall_back_fires_once_at_the_first_occurrence) {
  zone berlin("Europe/Berlin");
  // 2026-10-25: 03:00 CEST is 02:00 CET; 02:00-02:59 happen twice.
  auto s = rules(every_day, {hm(2, 30)});
  auto first = next_slot(s, at("2026-10-25T00:00:00+02:00"));
  BOOST_TEST(local(first) == "2026-10-25T02:30:00.000+02:00");
  BOOST_TEST(local(next_slot(s, first)) == "2026-10-26T02:30:00.000+01:00");
  // Between the two occurrences and after the second: still the first.
  BOOST_TEST(next_after(s, "2026-10-25T02:10:00+01:00")
             == "2026-10-26T02:30:00.000+01:00");
  BOOST_TEST(latest_at(s, "2026-10-25T02:45:00+01:00")
             == "2026-10-25T02:30:00.000+02:00");
  auto around = rules(every_day, {hm(1, 30), hm(3, 30)});
  auto one = next_slot(around, at("2026-10-25T00:00:00+02:00"));
  BOOST_TEST(local(one) == "2026-10-25T01:30:00.000+02:00");
  BOOST_TEST(local(next_slot(around, one)) == "2026-10-25T03:30:00.000+01:00");
  // A day of 25 hours.
  auto daily = rules(every_day, {hm(12, 0)});
  auto before = next_slot(daily, at("2026-10-24T00:00:00+02:00"));
  BOOST_TEST(next_slot(daily, before) - before == 25 * 60 * minute);
}

BOOST_AUTO_TEST_CASE(posix_rules_in_both_hemispheres) {
  {
    zone us("EST5EDT,M3.2.0,M11.1.0");
    auto s = rules(every_day, {hm(2, 30)});
    BOOST_TEST(next_after(s, "2026-03-08T00:00:00-05:00")
               == "2026-03-08T03:00:00.000-04:00");
    auto fall = rules(every_day, {hm(1, 30)});
    auto first = next_slot(fall, at("2026-11-01T00:00:00-04:00"));
    BOOST_TEST(local(first) == "2026-11-01T01:30:00.000-04:00");
    BOOST_TEST(local(next_slot(fall, first))
               == "2026-11-02T01:30:00.000-05:00");
  }
  {
    // Sydney: forward on the first Sunday of October at 02:00, back on the
    // first Sunday of April at 03:00.
    zone sydney("AEST-10AEDT,M10.1.0,M4.1.0/3");
    auto forward = rules(every_day, {hm(2, 15)});
    BOOST_TEST(next_after(forward, "2026-10-04T00:00:00+10:00")
               == "2026-10-04T03:00:00.000+11:00");
    auto back = rules(every_day, {hm(2, 30)});
    auto first = next_slot(back, at("2026-04-05T00:00:00+11:00"));
    BOOST_TEST(local(first) == "2026-04-05T02:30:00.000+11:00");
    BOOST_TEST(local(next_slot(back, first))
               == "2026-04-06T02:30:00.000+10:00");
  }
}

// -- what a schedule owes -----------------------------------------------------

BOOST_AUTO_TEST_CASE(owed_slots_by_the_catch_up_window) {
  zone utc("UTC");
  auto s = rules(every_day, {hm(9, 0)});
  auto nine = at("2026-03-04T09:00:00Z");
  auto yesterday = nine - 24 * 60 * minute;
  auto o = owed(s, yesterday, nine + 5 * minute, 10 * minute);
  BOOST_TEST(o.slot == nine);
  BOOST_TEST(o.fire);
  o = owed(s, yesterday, nine + 11 * minute, 10 * minute);
  BOOST_TEST(o.slot == nine); // owed, but too old: skipped
  BOOST_TEST(!o.fire);
  BOOST_TEST(!owed(s, yesterday, nine + 10 * minute, 10 * minute).fire);
  BOOST_TEST(owed(s, nine, nine + minute, 10 * minute).slot == 0);
  BOOST_TEST(owed(s, yesterday, nine - minute, 10 * minute).slot == 0);
  BOOST_TEST(owed(s, yesterday, nine, 0).slot == nine);
  BOOST_TEST(!owed(s, yesterday, nine, 0).fire); // catch-up 0: never
  s.enabled = false;
  BOOST_TEST(owed(s, yesterday, nine + minute, 10 * minute).slot == 0);
  // Several missed: only the latest is owed.
  auto twice = rules(every_day, {hm(9, 0), hm(9, 5)});
  o = owed(twice, yesterday, nine + 7 * minute, 10 * minute);
  BOOST_TEST(o.slot == nine + 5 * minute);
  BOOST_TEST(o.fire);
  schedule fired = twice;
  fired.armed_at = yesterday;
  fired.last_slot = nine;
  BOOST_TEST(handled_until(fired) == nine);
  fired.armed_at = nine + minute;
  BOOST_TEST(handled_until(fired) == nine + minute);
}

// Fuzz target: the bodies of POST /api/v1/schedule and of its partial
// update, as the schedule endpoints read them (parse_schedule_request,
// parse_schedule_patch), and what the keeper and the store then do with
// an accepted one: its task body parses as a create again, its record
// survives a round trip, and its slots are where they must be. The first
// byte picks the parser, the rest is the body. Bad input must give an
// api_error, never a crash.
#include "model/schedule.hpp"
#include "model/schedule_time.hpp"
#include "storage/codec.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace {

using namespace tmx;
using tmx::fuzz::check;

// 2026-11-29T14:30:00Z, in UTC: slots and errors do not depend on the run.
constexpr millis now = 1'795'962'600'000;

const bool in_utc = [] {
  setenv("TZ", "UTC", 1);
  tzset();
  return true;
}();

void check_error(const api_error& err) {
  check(!err.message.empty(), "an error has a message");
  check(err.code == ec::invalid_params || err.code == ec::missing_script
          || err.code == ec::script_unavailable,
        "a bad schedule body is 40001, 40002 or 40003");
}

void check_rules(const schedule& s, uint8_t fields) {
  if (fields & schedule_patch::name)
    check(!s.name.empty() && s.name.size() <= max_schedule_name,
          "a name of 1-200 bytes");
  if (fields & schedule_patch::weekdays)
    check(!s.weekdays.empty()
            && std::is_sorted(s.weekdays.begin(), s.weekdays.end())
            && std::adjacent_find(s.weekdays.begin(), s.weekdays.end())
                 == s.weekdays.end()
            && s.weekdays.front() >= 1 && s.weekdays.back() <= 7,
          "weekdays 1-7, ascending, each once");
  if (fields & schedule_patch::times)
    check(!s.times.empty() && std::is_sorted(s.times.begin(), s.times.end())
            && std::adjacent_find(s.times.begin(), s.times.end())
                 == s.times.end()
            && s.times.back() < 24 * 60,
          "times within a day, ascending, each once");
  if (fields & schedule_patch::task) {
    create_request req;
    check(!schedule_create_request(s.task, now, req),
          "an accepted task body parses as a create again");
    check(req.start_at == 0, "a schedule's create has no start_time");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || !in_utc)
    return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 1) {
    schedule_patch p;
    if (auto err = parse_schedule_patch(body, now, p))
      return check_error(err), 0;
    check(p.fields < 32, "only the five fields");
    check_rules(p.values, p.fields);
    return 0;
  }
  schedule s;
  if (auto err = parse_schedule_request(body, now, s))
    return check_error(err), 0;
  check_rules(s, 31);
  auto bytes = codec::encode(s);
  schedule back;
  check(codec::decode(bytes, back) && back == s, "the record round-trips");
  auto next = next_slot(s, now);
  check(next > now && next <= now + 8 * 86'400'000LL,
        "the next slot is within a week and a day");
  auto latest = latest_slot(s, now);
  check(latest <= now && latest > now - 8 * 86'400'000LL,
        "the latest slot is within the week before");
  check(next_slot(s, latest) == next, "no slot between the latest and next");
  return 0;
}

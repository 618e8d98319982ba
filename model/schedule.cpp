// The schedule record's rules (see schedule.hpp): updates, ids, and which
// slot a schedule owes.
#include "model/schedule.hpp"

#include "model/request_parsing.hpp"
#include "model/schedule_time.hpp"

#include <algorithm>
#include <cstdio>

namespace tmx {

bool operator==(const schedule& a, const schedule& b) {
  return a.id == b.id && a.name == b.name && a.enabled == b.enabled
         && a.weekdays == b.weekdays && a.times == b.times && a.task == b.task
         && a.created_at == b.created_at && a.armed_at == b.armed_at
         && a.last_slot == b.last_slot && a.last_run_at == b.last_run_at
         && a.last_task_ids == b.last_task_ids
         && a.next_run_at == b.next_run_at;
}

bool apply_patch(const schedule_patch& p, schedule& s) {
  using f = schedule_patch;
  const auto& v = p.values;
  bool rules = (p.has(f::enabled) && v.enabled != s.enabled)
               || (p.has(f::weekdays) && v.weekdays != s.weekdays)
               || (p.has(f::times) && v.times != s.times);
  if (p.has(f::name))
    s.name = v.name;
  if (p.has(f::enabled))
    s.enabled = v.enabled;
  if (p.has(f::weekdays))
    s.weekdays = v.weekdays;
  if (p.has(f::times))
    s.times = v.times;
  if (p.has(f::task))
    s.task = v.task;
  return rules;
}

bool parse_schedule_id(std::string_view text, uint64_t& out) {
  task_id id = 0;
  if (!parse_task_id(text, id))
    return false;
  out = id;
  return true;
}

std::string clock_text(uint16_t minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u:%02u", (minutes / 60) % 24u,
                minutes % 60u);
  return buf;
}

millis handled_until(const schedule& s) {
  return std::max(s.last_slot, s.armed_at);
}

owed_slot owed(const schedule& s, millis done, millis now, millis window) {
  if (!s.enabled)
    return {};
  auto slot = latest_slot(s, now);
  if (slot == 0 || slot <= done)
    return {};
  return {slot, now - slot < window};
}

} // namespace tmx

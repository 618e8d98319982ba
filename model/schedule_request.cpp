// The bodies of POST /api/v1/schedule and POST /api/v1/schedule/{id} (see
// schedule.hpp): shape and type checks, and the task body checked by the
// create's own parser.
#include "model/schedule.hpp"

#include "model/request_parsing.hpp"
#include "model/time.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <set>

namespace tmx {

namespace {

using rapidjson::Value;

api_error read_name(const Value& v, std::string& out) {
  if (!v.IsString() || v.GetStringLength() == 0
      || v.GetStringLength() > max_schedule_name)
    return invalid("name must be a non-empty string of at most "
                   + std::to_string(max_schedule_name) + " bytes");
  out.assign(v.GetString(), v.GetStringLength());
  return {};
}

api_error read_enabled(const Value& v, bool& out) {
  if (!v.IsBool())
    return invalid("enabled must be true or false");
  out = v.GetBool();
  return {};
}

api_error read_weekdays(const Value& v, std::vector<uint8_t>& out) {
  if (!v.IsArray() || v.Empty())
    return invalid("weekdays must be a non-empty array of integers 1-7 "
                   "(1 = Monday)");
  std::set<uint8_t> seen;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const Value& day = v[i];
    if (!day.IsInt() || day.GetInt() < 1 || day.GetInt() > 7)
      return invalid("weekdays[" + std::to_string(i)
                     + "] must be an integer 1-7 (1 = Monday)");
    if (!seen.insert(static_cast<uint8_t>(day.GetInt())).second)
      return invalid("weekdays lists " + std::to_string(day.GetInt())
                     + " twice");
  }
  out.assign(seen.begin(), seen.end());
  return {};
}

api_error read_times(const Value& v, std::vector<uint16_t>& out) {
  if (!v.IsArray() || v.Empty())
    return invalid("times must be a non-empty array of \"HH:MM\" (24 h)");
  std::set<uint16_t> seen;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const Value& t = v[i];
    int hour = 0, minute = 0;
    if (!t.IsString()
        || !parse_clock_time({t.GetString(), t.GetStringLength()}, hour,
                             minute))
      return invalid("times[" + std::to_string(i)
                     + "] must be \"HH:MM\" (24 h)");
    auto at = static_cast<uint16_t>(hour * 60 + minute);
    if (!seen.insert(at).second)
      return invalid("times lists " + clock_text(at) + " twice");
  }
  out.assign(seen.begin(), seen.end());
  return {};
}

api_error read_task(const Value& v, millis now, std::string& out) {
  if (!v.IsObject())
    return invalid("task must be an object (the body of a create)");
  if (const Value* start = body_field(v, "start_time");
      start != nullptr && !(start->IsString() && start->GetStringLength() == 0))
    return invalid("task.start_time is not allowed: the schedule's times say "
                   "when it creates its tasks");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  // RapidJSON reads some numbers past a double's range as infinity, which
  // the writer refuses (and a create would too).
  if (!v.Accept(writer))
    return invalid("task holds a number beyond the range of a double");
  out.assign(buf.GetString(), buf.GetSize());
  create_request ignored;
  return schedule_create_request(out, now, ignored);
}

/// Reads each field of `body` that is there (not null) into `out`; `seen`
/// gets the bit of each.
api_error read_fields(const Value& body, millis now, schedule& out,
                      uint8_t& seen) {
  using f = schedule_patch;
  if (const Value* v = body_field(body, "name")) {
    if (auto err = read_name(*v, out.name))
      return err;
    seen |= f::name;
  }
  if (const Value* v = body_field(body, "enabled")) {
    if (auto err = read_enabled(*v, out.enabled))
      return err;
    seen |= f::enabled;
  }
  if (const Value* v = body_field(body, "weekdays")) {
    if (auto err = read_weekdays(*v, out.weekdays))
      return err;
    seen |= f::weekdays;
  }
  if (const Value* v = body_field(body, "times")) {
    if (auto err = read_times(*v, out.times))
      return err;
    seen |= f::times;
  }
  if (const Value* v = body_field(body, "task")) {
    if (auto err = read_task(*v, now, out.task))
      return err;
    seen |= f::task;
  }
  return {};
}

} // namespace

api_error parse_schedule_request(std::string_view body, millis now,
                                 schedule& out) {
  rapidjson::Document doc;
  if (auto err = parse_json_body(body, doc))
    return err;
  out.weekdays = {1, 2, 3, 4, 5, 6, 7};
  out.enabled = true;
  uint8_t seen = 0;
  if (auto err = read_fields(doc, now, out, seen))
    return err;
  if ((seen & schedule_patch::name) == 0)
    return invalid("name is required");
  if ((seen & schedule_patch::times) == 0)
    return invalid("times is required: a non-empty array of \"HH:MM\"");
  if ((seen & schedule_patch::task) == 0)
    return invalid("task is required: the body of a create");
  return {};
}

api_error parse_schedule_patch(std::string_view body, millis now,
                               schedule_patch& out) {
  rapidjson::Document doc;
  if (auto err = parse_json_body(body, doc))
    return err;
  out.fields = 0;
  return read_fields(doc, now, out.values, out.fields);
}

api_error schedule_create_request(const std::string& task, millis now,
                                  create_request& out) {
  return task_error(parse_create_request(task, now, out));
}

api_error task_error(api_error err) {
  if (!err)
    return err;
  // The fields of a create body, as its errors begin with them.
  static constexpr std::array<std::string_view, 9> fields{
    "serials",     "usernames",     "groups",
    "script_name", "script_config", "enable_multi_account",
    "start_time",  "min_interval",  "max_interval"};
  if (err.code == ec::script_unavailable) { // "script 'like' is not ..."
    err.message = "task.script_name: " + err.message;
    return err;
  }
  std::string_view m = err.message;
  for (auto f : fields)
    if (m.substr(0, f.size()) == f
        && (m.size() == f.size()
            || std::string_view(" .[:").find(m[f.size()]) != m.npos)) {
      err.message = "task." + err.message;
      return err;
    }
  err.message = "task: " + err.message;
  return err;
}

} // namespace tmx

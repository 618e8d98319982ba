// The contract's task object (see task_json.hpp).
#include "model/task_json.hpp"

#include "model/time.hpp"

#include <algorithm>
#include <utility>

namespace tmx {

void json_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void json_string_or_null(json_writer& w, const std::string& s) {
  if (s.empty())
    w.Null();
  else
    json_string(w, s);
}

void json_time_or_null(json_writer& w, millis t) {
  if (t == 0)
    w.Null();
  else
    w.String(format_time(t));
}

void write_task(json_writer& w, const task& t, millis now) {
  w.StartObject();
  w.Key("id");
  w.Uint64(t.id);
  w.Key("serial");
  json_string(w, t.serial);
  w.Key("username");
  json_string_or_null(w, t.username);
  w.Key("script_name");
  json_string(w, t.script_name);
  w.Key("script_config");
  const auto& cfg = t.script_config.empty() ? std::string("{}")
                                            : t.script_config;
  w.RawValue(cfg.data(), cfg.size(), rapidjson::kObjectType);
  w.Key("status");
  w.Int(static_cast<int>(t.status));
  w.Key("status_text");
  json_string(w, status_text(t.status));
  w.Key("source");
  json_string(w, t.source);
  for (auto [key, at] : {std::pair{"scheduled_at", t.scheduled_at},
                         std::pair{"created_at", t.created_at},
                         std::pair{"started_at", t.started_at},
                         std::pair{"finished_at", t.finished_at}}) {
    w.Key(key);
    json_time_or_null(w, at);
  }
  w.Key("duration_s");
  if (t.started_at != 0 && t.finished_at >= t.started_at)
    w.Double((t.finished_at - t.started_at) / 1000.0);
  else if (t.started_at != 0 && t.status == task_status::running)
    w.Double(std::max<millis>(0, now - t.started_at) / 1000.0);
  else
    w.Null();
  w.Key("retry_count");
  w.Uint(t.retry_count);
  w.Key("remark");
  json_string(w, t.remark);
  w.Key("node");
  json_string_or_null(w, t.node);
  w.EndObject();
}

std::string task_json(const task& t, millis now) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_task(w, t, now);
  return {buf.GetString(), buf.GetSize()};
}

} // namespace tmx

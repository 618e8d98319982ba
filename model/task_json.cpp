// The contract's task object (see task_json.hpp).
#include "model/task_json.hpp"

#include "model/secrets.hpp"
#include "model/time.hpp"

#include <algorithm>

namespace tmx {

void json_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void put(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  json_string(w, value);
}

void put_or_null(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  if (value.empty())
    w.Null();
  else
    json_string(w, value);
}

void put_time(json_writer& w, const char* key, millis t) {
  w.Key(key);
  if (t == 0)
    w.Null();
  else
    w.String(format_time(t));
}

void put_id(json_writer& w, const char* key, uint64_t id) {
  w.Key(key);
  if (id == 0)
    w.Null();
  else
    w.Uint64(id);
}

void put_count(json_writer& w, const char* key, uint64_t n) {
  w.Key(key);
  w.Uint64(n);
}

void put_strings(json_writer& w, const char* key,
                 const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (auto& v : values)
    json_string(w, v);
  w.EndArray();
}

void write_task(json_writer& w, const task& t, millis now) {
  w.StartObject();
  put_count(w, "id", t.id);
  put(w, "serial", t.serial);
  put_or_null(w, "username", t.username);
  put(w, "script_name", t.script_name);
  w.Key("script_config");
  // Secrets are shown as "***" wherever a task is rendered (API, events,
  // webhooks, tmxctl db dump): this is the one place that renders them.
  auto masked = masked_config(t.script_config);
  std::string_view cfg = t.script_config;
  if (masked)
    cfg = *masked;
  else if (cfg.empty())
    cfg = "{}";
  w.RawValue(cfg.data(), cfg.size(), rapidjson::kObjectType);
  w.Key("status");
  w.Int(static_cast<int>(t.status));
  put(w, "status_text", status_text(t.status));
  put(w, "source", t.source);
  put_id(w, "schedule_id", t.schedule_id);
  put_time(w, "scheduled_at", t.scheduled_at);
  put_time(w, "created_at", t.created_at);
  put_time(w, "started_at", t.started_at);
  put_time(w, "finished_at", t.finished_at);
  w.Key("duration_s");
  if (t.started_at != 0 && t.finished_at >= t.started_at)
    w.Double((t.finished_at - t.started_at) / 1000.0);
  else if (t.started_at != 0 && t.status == task_status::running)
    w.Double(std::max<millis>(0, now - t.started_at) / 1000.0);
  else
    w.Null();
  put_count(w, "retry_count", t.retry_count);
  put(w, "remark", t.remark);
  put_or_null(w, "node", t.node);
  w.Key("exit_code");
  if (t.exit_code == no_exit_code)
    w.Null();
  else
    w.Int(t.exit_code);
  w.EndObject();
}

std::string task_json(const task& t, millis now) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_task(w, t, now);
  return {buf.GetString(), buf.GetSize()};
}

} // namespace tmx

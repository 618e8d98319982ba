#include "http/json.hpp"

#include "model/time.hpp"

namespace tmx {

namespace {

void put(json_writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// "" is null: the model keeps absent strings empty.
void put_or_null(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  if (value.empty())
    w.Null();
  else
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// 0 is null: the model keeps absent times and ids 0.
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
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

} // namespace

std::string error_body(const api_error& err) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(api_code(err.code));
  put(w, "message", err.message);
  w.Key("data");
  w.Null();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void write_task(json_writer& w, const task& t, millis now) {
  w.StartObject();
  put_count(w, "id", t.id);
  put(w, "serial", t.serial);
  put_or_null(w, "username", t.username);
  put(w, "script_name", t.script_name);
  w.Key("script_config");
  const auto& cfg = t.script_config.empty() ? std::string("{}")
                                            : t.script_config;
  w.RawValue(cfg.data(), cfg.size(), rapidjson::kObjectType);
  w.Key("status");
  w.Int(static_cast<int>(t.status));
  put(w, "status_text", status_text(t.status));
  put(w, "source", t.source);
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
  w.EndObject();
}

void write_device(json_writer& w, const device_info& d) {
  w.StartObject();
  put(w, "serial", d.serial);
  put_or_null(w, "node", d.node);
  put(w, "state", d.state);
  put_id(w, "running_task_id", d.running_task_id);
  put_count(w, "queued", d.queued);
  put_strings(w, "accounts", d.accounts);
  w.EndObject();
}

void write_ids(json_writer& w, const std::vector<task_id>& ids) {
  w.StartArray();
  for (auto id : ids)
    w.Uint64(id);
  w.EndArray();
}

void write_account(json_writer& w, const account& a) {
  w.StartObject();
  put(w, "username", a.username);
  put(w, "serial", a.serial);
  put(w, "platform", a.platform);
  w.Key("enabled");
  w.Bool(a.enabled);
  w.EndObject();
}

void write_node(json_writer& w, const node_info& n) {
  w.StartObject();
  put(w, "name", n.name);
  put_or_null(w, "address", n.address);
  put(w, "state", n.online ? "online" : "offline");
  put_strings(w, "devices", n.devices);
  put_time(w, "connected_since", n.connected_since);
  put_time(w, "last_seen", n.last_seen);
  w.EndObject();
}

void write_log(json_writer& w, const std::vector<log_line>& lines) {
  w.StartObject();
  w.Key("lines");
  w.StartArray();
  for (auto& line : lines) {
    w.StartObject();
    put_time(w, "at", line.at);
    put(w, "text", line.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace tmx

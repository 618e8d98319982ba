#include "http/json.hpp"

#include "model/time.hpp"

namespace tmx {

namespace {

void string_or_null(json_writer& w, const std::string& s) {
  if (s.empty())
    w.Null();
  else
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void time_or_null(json_writer& w, millis t) {
  if (t == 0)
    w.Null();
  else
    w.String(format_time(t));
}

void string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

} // namespace

std::string error_body(const api_error& err) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(api_code(err.code));
  w.Key("message");
  string(w, err.message);
  w.Key("data");
  w.Null();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void write_task(json_writer& w, const task& t, millis now) {
  w.StartObject();
  w.Key("id");
  w.Uint64(t.id);
  w.Key("serial");
  string(w, t.serial);
  w.Key("username");
  string_or_null(w, t.username);
  w.Key("script_name");
  string(w, t.script_name);
  w.Key("script_config");
  const auto& cfg = t.script_config.empty() ? std::string("{}")
                                            : t.script_config;
  w.RawValue(cfg.data(), cfg.size(), rapidjson::kObjectType);
  w.Key("status");
  w.Int(static_cast<int>(t.status));
  w.Key("status_text");
  string(w, status_text(t.status));
  w.Key("source");
  string(w, t.source);
  w.Key("scheduled_at");
  time_or_null(w, t.scheduled_at);
  w.Key("created_at");
  time_or_null(w, t.created_at);
  w.Key("started_at");
  time_or_null(w, t.started_at);
  w.Key("finished_at");
  time_or_null(w, t.finished_at);
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
  string(w, t.remark);
  w.Key("node");
  string_or_null(w, t.node);
  w.EndObject();
}

void write_device(json_writer& w, const device_info& d) {
  w.StartObject();
  w.Key("serial");
  string(w, d.serial);
  w.Key("node");
  string_or_null(w, d.node);
  w.Key("state");
  string(w, d.state);
  w.Key("running_task_id");
  if (d.running_task_id == 0)
    w.Null();
  else
    w.Uint64(d.running_task_id);
  w.Key("queued");
  w.Uint64(d.queued);
  w.Key("accounts");
  w.StartArray();
  for (auto& a : d.accounts)
    string(w, a);
  w.EndArray();
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
  w.Key("username");
  string(w, a.username);
  w.Key("serial");
  string(w, a.serial);
  w.Key("platform");
  string(w, a.platform);
  w.Key("enabled");
  w.Bool(a.enabled);
  w.EndObject();
}

void write_node(json_writer& w, const node_info& n) {
  w.StartObject();
  w.Key("name");
  string(w, n.name);
  w.Key("address");
  string_or_null(w, n.address);
  w.Key("state");
  string(w, n.online ? "online" : "offline");
  w.Key("devices");
  w.StartArray();
  for (auto& d : n.devices)
    string(w, d);
  w.EndArray();
  w.Key("connected_since");
  time_or_null(w, n.connected_since);
  w.Key("last_seen");
  time_or_null(w, n.last_seen);
  w.EndObject();
}

void write_log(json_writer& w, const std::vector<log_line>& lines) {
  w.StartObject();
  w.Key("lines");
  w.StartArray();
  for (auto& line : lines) {
    w.StartObject();
    w.Key("at");
    w.String(format_time(line.at));
    w.Key("text");
    string(w, line.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace tmx

// The JSON side of the API: the envelope and the objects of devices,
// accounts, nodes and logs (tasks: model/task_json.cpp).
#include "http/json.hpp"

#include "model/time.hpp"

namespace tmx {

std::string error_body(const api_error& err) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(api_code(err.code));
  w.Key("message");
  json_string(w, err.message);
  w.Key("data");
  w.Null();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void write_device(json_writer& w, const device_info& d) {
  w.StartObject();
  w.Key("serial");
  json_string(w, d.serial);
  w.Key("node");
  json_string_or_null(w, d.node);
  w.Key("state");
  json_string(w, d.state);
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
    json_string(w, a);
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
  json_string(w, a.username);
  w.Key("serial");
  json_string(w, a.serial);
  w.Key("platform");
  json_string(w, a.platform);
  w.Key("enabled");
  w.Bool(a.enabled);
  w.EndObject();
}

void write_node(json_writer& w, const node_info& n) {
  w.StartObject();
  w.Key("name");
  json_string(w, n.name);
  w.Key("address");
  json_string_or_null(w, n.address);
  w.Key("state");
  json_string(w, n.online ? "online" : "offline");
  w.Key("devices");
  w.StartArray();
  for (auto& d : n.devices)
    json_string(w, d);
  w.EndArray();
  w.Key("connected_since");
  json_time_or_null(w, n.connected_since);
  w.Key("last_seen");
  json_time_or_null(w, n.last_seen);
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
    json_string(w, line.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace tmx

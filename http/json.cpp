// The JSON side of the API: the envelope and the objects of devices,
// accounts, nodes and logs (tasks: model/task_json.cpp).
#include "http/json.hpp"

namespace tmx {

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

void write_device(json_writer& w, const device_info& d) {
  w.StartObject();
  put(w, "serial", d.serial);
  put_or_null(w, "node", d.node);
  put(w, "state", d.state);
  put_id(w, "running_task_id", d.running_task_id);
  put_count(w, "queued", d.queued);
  put_strings(w, "accounts", d.accounts);
  put_strings(w, "groups", {});
  put_or_null(w, "driver", d.driver);
  put(w, "state_reason", d.state_reason);
  put_or_null(w, "model", d.model);
  put_or_null(w, "android", d.android);
  w.Key("battery");
  if (d.battery < 0)
    w.Null();
  else
    w.Int(d.battery);
  put_time(w, "last_seen", d.last_seen);
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

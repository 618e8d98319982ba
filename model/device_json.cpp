// The device and node objects of the API as JSON.
#include "model/device_json.hpp"

namespace tmx {

void write_device(json_writer& w, const device_info& d) {
  w.StartObject();
  put(w, "serial", d.serial);
  put_or_null(w, "node", d.node);
  put(w, "state", d.state);
  put_id(w, "running_task_id", d.running_task_id);
  put_count(w, "queued", d.queued);
  put_strings(w, "accounts", d.accounts);
  put_strings(w, "groups", d.groups);
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

std::string device_json(const device_info& d) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_device(w, d);
  return {buf.GetString(), buf.GetSize()};
}

std::string node_json(const node_info& n) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_node(w, n);
  return {buf.GetString(), buf.GetSize()};
}

} // namespace tmx

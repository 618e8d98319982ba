// The JSON side of the API: the {code, message, data} envelope and the
// objects it carries. Pure functions (RapidJSON), no networking.
#pragma once

#include "actors/actors.hpp"
#include "model/task_json.hpp"

#include <string>

namespace tmx {

/// `{"code":0,"message":"success","data":...}` where `data` writes the
/// data value.
template <class WriteData>
std::string success_body(WriteData&& data) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(0);
  w.Key("message");
  w.String("success");
  w.Key("data");
  data(w);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/// `{"code":N,"message":"...","data":null}`.
std::string error_body(const api_error& err);

void write_device(json_writer& w, const device_info& d);

void write_ids(json_writer& w, const std::vector<task_id>& ids);

void write_account(json_writer& w, const account& a);

void write_node(json_writer& w, const node_info& n);

/// `{"lines": [{"at": ISO-8601, "text": ...}]}`.
void write_log(json_writer& w, const std::vector<log_line>& lines);

} // namespace tmx

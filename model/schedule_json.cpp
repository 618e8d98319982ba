// The schedule object (see schedule_json.hpp).
#include "model/schedule_json.hpp"

#include "model/secrets.hpp"

#include <rapidjson/document.h>

namespace tmx {

namespace {

/// The task body as stored, its script_config's secrets masked.
void write_task_body(json_writer& w, const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    // Only a damaged record gets here: show no part of it.
    w.StartObject();
    w.EndObject();
    return;
  }
  if (auto config = doc.FindMember("script_config"); config != doc.MemberEnd())
    mask_secrets(config->value);
  doc.Accept(w);
}

} // namespace

void write_schedule(json_writer& w, const schedule& s) {
  w.StartObject();
  put_count(w, "id", s.id);
  put(w, "name", s.name);
  w.Key("enabled");
  w.Bool(s.enabled);
  w.Key("weekdays");
  w.StartArray();
  for (auto day : s.weekdays)
    w.Uint(day);
  w.EndArray();
  w.Key("times");
  w.StartArray();
  for (auto minute : s.times)
    json_string(w, clock_text(minute));
  w.EndArray();
  w.Key("task");
  write_task_body(w, s.task);
  put_time(w, "next_run_at", s.next_run_at);
  put_time(w, "last_run_at", s.last_run_at);
  w.Key("last_task_ids");
  w.StartArray();
  for (auto id : s.last_task_ids)
    w.Uint64(id);
  w.EndArray();
  put_time(w, "created_at", s.created_at);
  w.EndObject();
}

} // namespace tmx

// The JSON side of the API: the envelope, the reply bodies and the objects
// of devices, accounts, nodes and logs (tasks: model/task_json.cpp).
#include "http/json.hpp"

#include <set>

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

std::string count_body(const char* key, uint64_t n) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    put_count(w, key, n);
    w.EndObject();
  });
}

std::string license_body(const std::string& plan, int64_t device_limit) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    w.Key("plan_name");
    w.String(plan);
    w.Key("api_enabled");
    w.Bool(true);
    w.Key("device_limit");
    w.Int64(device_limit);
    w.Key("message");
    w.String("API access enabled");
    w.EndObject();
  });
}

std::string stats_body(const task_counts& c) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    w.Key("total");
    w.Uint64(c.total);
    for (int s = 0; s < status_count; ++s) {
      w.Key(status_text(static_cast<task_status>(s)).data());
      w.Uint64(c.by_status[s]);
    }
    w.EndObject();
  });
}

std::string created_body(const std::vector<task_id>& ids) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    w.Key("task_ids");
    write_ids(w, ids);
    w.Key("created_count");
    w.Uint64(ids.size());
    w.EndObject();
  });
}

std::string batch_deleted_body(const std::vector<task_id>& asked,
                               const std::vector<task_id>& erased) {
  std::set<task_id> gone(erased.begin(), erased.end());
  return success_body([&](json_writer& w) {
    w.StartObject();
    w.Key("deleted_count");
    w.Uint64(erased.size());
    w.Key("not_found");
    w.StartArray();
    for (auto id : asked)
      if (gone.count(id) == 0)
        w.Uint64(id);
    w.EndArray();
    w.EndObject();
  });
}

std::string task_body(const task& t, millis now) {
  return success_body([&](json_writer& w) { write_task(w, t, now); });
}

std::string task_page_body(const task_page& p, const paging& page, millis now) {
  return page_body("tasks", p.tasks, p.total, page,
                   [now](json_writer& w, const task& t) {
                     write_task(w, t, now);
                   });
}

std::string account_page_body(const page_of<account>& p, const paging& page) {
  return page_body("accounts", p.items, p.total, page, write_account);
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

// Checks of the HTTP API black-box tests: the envelope, error cases, the
// kinds of JSON fields, the task object, and the API's time stamps.
#pragma once

#include "tests/server_process.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <string>
#include <vector>

namespace tmx::test {

// -- checks -------------------------------------------------------------------

/// `{code, message, data}` and nothing else, as JSON.
inline void check_envelope(const reply& r) {
  BOOST_TEST(r.content_type.find("application/json") == 0);
  BOOST_REQUIRE_MESSAGE(r.json.IsObject(), "not a JSON object: " + r.text);
  BOOST_TEST(r.json.MemberCount() == 3u);
  BOOST_TEST(member(r.json, "code").IsInt());
  BOOST_TEST(member(r.json, "message").IsString());
  BOOST_TEST(r.json.HasMember("data"));
}

inline void check_ok(const reply& r) {
  check_envelope(r);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.code() == 0, "code " << r.code() << ": " << r.text);
  BOOST_TEST(r.message() == "success");
}

inline void check_error(const reply& r, int http, int code,
                        const std::string& names = "") {
  check_envelope(r);
  BOOST_TEST(r.status == http);
  BOOST_TEST(r.code() == code, "code " << r.code() << ": " << r.text);
  BOOST_TEST(!r.message().empty());
  BOOST_TEST(r.data().IsNull());
  BOOST_TEST(r.message().find(names) != std::string::npos,
             "message '" << r.message() << "' does not name '" << names << "'");
}

/// One request and the error it must get.
struct error_case {
  std::string method;
  std::string path;
  std::string body;
  int http;
  int code;
  std::string names; // the message must contain this
};

inline void check_errors(const server_process& srv,
                         const std::vector<error_case>& cases) {
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.method << ' ' << c.path << ' '
                                << c.body.substr(0, 100)) {
      check_error(srv.send(c.method, c.path, c.body), c.http, c.code, c.names);
    }
}

inline error_case bad_create(const std::string& body, const std::string& names,
                             int code = 40001) {
  return {"POST", "/api/v1/task", body, 400, code, names};
}

inline bool is_time(const rapidjson::Value& v) {
  static const std::regex iso(
    R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}([+-]\d\d:\d\d|Z))");
  return v.IsString() && std::regex_match(text_of(v), iso);
}

enum json_kind : unsigned {
  null_json = 1,
  int_json = 2,
  number_json = 4,
  string_json = 8,
  time_json = 16,
  object_json = 32,
  array_json = 64,
  bool_json = 128,
};

inline bool has_kind(const rapidjson::Value& v, unsigned kinds) {
  return ((kinds & null_json) && v.IsNull())
         || ((kinds & int_json) && v.IsInt64())
         || ((kinds & number_json) && v.IsNumber())
         || ((kinds & string_json) && v.IsString())
         || ((kinds & time_json) && is_time(v))
         || ((kinds & object_json) && v.IsObject())
         || ((kinds & array_json) && v.IsArray())
         || ((kinds & bool_json) && v.IsBool());
}

struct field_kind {
  const char* name;
  unsigned kinds;
};

inline void check_fields(const rapidjson::Value& obj,
                         const std::vector<field_kind>& fields) {
  BOOST_REQUIRE(obj.IsObject());
  for (auto& f : fields)
    BOOST_TEST_CONTEXT("field " << f.name << " of " << to_json(obj)) {
      BOOST_TEST(obj.HasMember(f.name));
      BOOST_TEST(has_kind(member(obj, f.name), f.kinds));
    }
}

inline const std::vector<field_kind> task_fields{
  {"id", int_json},
  {"serial", string_json},
  {"username", string_json | null_json},
  {"script_name", string_json},
  {"script_config", object_json},
  {"status", int_json},
  {"status_text", string_json},
  {"source", string_json},
  {"schedule_id", int_json | null_json},
  {"scheduled_at", time_json | null_json},
  {"created_at", time_json},
  {"started_at", time_json | null_json},
  {"finished_at", time_json | null_json},
  {"duration_s", number_json | null_json},
  {"retry_count", int_json},
  {"remark", string_json},
  {"node", string_json | null_json},
};

inline const char* const status_names[] = {"pending", "running", "completed",
                                           "failed"};

inline void check_task(const rapidjson::Value& t) {
  check_fields(t, task_fields);
  auto status = static_cast<int>(int_of(member(t, "status")));
  BOOST_REQUIRE(status >= 0 && status <= 3);
  BOOST_TEST(text_of(member(t, "status_text")) == status_names[status]);
  auto source = text_of(member(t, "source"));
  BOOST_TEST((source == "api" || source == "ui" || source == "schedule"));
  BOOST_TEST(member(t, "schedule_id").IsNull() == (source != "schedule"));
}

// -- time ---------------------------------------------------------------------

inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// `ms` since the epoch as the API writes it, in the zone `offset_min`
/// minutes east of UTC: "2026-11-29T14:30:00.123+01:00".
inline std::string iso_at(int64_t ms, int offset_min = 0) {
  auto local = static_cast<time_t>((ms - ms % 1000) / 1000 + offset_min * 60);
  std::tm tm{};
  gmtime_r(&local, &tm);
  auto off = std::abs(offset_min);
  char buf[64];
  std::snprintf(buf, sizeof buf,
                "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000),
                offset_min < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

/// The instant of an API time stamp (which must carry its offset) in ms
/// since the epoch; -1 for anything else.
inline int64_t ms_of(const rapidjson::Value& v) {
  if (!is_time(v))
    return -1;
  auto text = text_of(v);
  std::tm tm{};
  int ms = 0;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon,
              &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t offset_min = 0;
  if (text.back() != 'Z') {
    auto zone = text.substr(text.size() - 6);
    offset_min = std::stoi(zone.substr(1, 2)) * 60 + std::stoi(zone.substr(4));
    if (zone[0] == '-')
      offset_min = -offset_min;
  }
  return (static_cast<int64_t>(timegm(&tm)) - offset_min * 60) * 1000 + ms;
}

inline int64_t ms_of(const reply& task, const char* field) {
  return ms_of(member(task.data(), field));
}

inline std::string start_time(const std::string& value) {
  return "\"start_time\":\"" + value + "\"";
}

} // namespace tmx::test

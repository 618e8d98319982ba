// Black-box tests of the HTTP API (CONTRACT.md) against a real tmx-server
// process: every endpoint, every error code, options and SIGTERM.
#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include "tests/server_process.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace tmx::test;

namespace {

using ids = std::vector<uint64_t>;

const options base_options{{"sim.devices", "4"},
                           {"sim.task-duration", "300ms"}};

/// Due far in the future: such a task stays pending for the whole test.
const std::string later = R"("start_time":"2090-01-01T00:00:00+00:00")";

const headers from_ui{{"X-Tmx-Source", "ui"}};

const std::string multi_account = R"("enable_multi_account":true)";

/// A running server with the base options plus `extra`.
struct api_server : server_process {
  explicit api_server(const options& extra = {})
    : server_process(merged(base_options, extra)) {
    require_start();
  }
};

// -- request bodies -----------------------------------------------------------

std::string serials(const std::vector<std::string>& names) {
  return "\"serials\":" + json_strings(names);
}

std::string usernames(const std::vector<std::string>& names) {
  return "\"usernames\":" + json_strings(names);
}

/// A create body: `targets` is serials(...) or usernames(...), `extra` more
/// members such as `later`.
std::string task_body(const std::string& targets,
                      const std::string& script = "post",
                      const std::string& config = "{}",
                      const std::string& extra = "") {
  return "{" + targets + ",\"script_name\":\"" + script
         + "\",\"script_config\":" + config
         + (extra.empty() ? "" : "," + extra) + "}";
}

std::string batch_body(const ids& task_ids) {
  std::string out = "{\"task_ids\":[";
  for (size_t i = 0; i < task_ids.size(); ++i)
    out += (i > 0 ? "," : "") + std::to_string(task_ids[i]);
  return out + "]}";
}

std::string task_path(uint64_t id, const std::string& action = "") {
  return "/api/v1/task/" + std::to_string(id)
         + (action.empty() ? "" : "/" + action);
}

// -- checks -------------------------------------------------------------------

/// `{code, message, data}` and nothing else, as JSON.
void check_envelope(const reply& r) {
  BOOST_TEST(r.content_type.find("application/json") == 0);
  BOOST_REQUIRE_MESSAGE(r.json.IsObject(), "not a JSON object: " + r.text);
  BOOST_TEST(r.json.MemberCount() == 3u);
  BOOST_TEST(member(r.json, "code").IsInt());
  BOOST_TEST(member(r.json, "message").IsString());
  BOOST_TEST(r.json.HasMember("data"));
}

void check_ok(const reply& r) {
  check_envelope(r);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.code() == 0, "code " << r.code() << ": " << r.text);
  BOOST_TEST(r.message() == "success");
}

void check_error(const reply& r, int http, int code,
                 const std::string& names = "") {
  check_envelope(r);
  BOOST_TEST(r.status == http);
  BOOST_TEST(r.code() == code, "code " << r.code() << ": " << r.text);
  BOOST_TEST(!r.message().empty());
  BOOST_TEST(r.data().IsNull());
  BOOST_TEST(r.message().find(names) != std::string::npos,
             "message '" << r.message() << "' does not name '" << names
                         << "'");
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

void check_errors(const server_process& srv,
                  const std::vector<error_case>& cases) {
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.method << ' ' << c.path << ' '
                                << c.body.substr(0, 100)) {
      check_error(srv.send(c.method, c.path, c.body), c.http, c.code,
                  c.names);
    }
}

error_case bad_create(const std::string& body, const std::string& names,
                      int code = 40001) {
  return {"POST", "/api/v1/task", body, 400, code, names};
}

bool is_time(const rapidjson::Value& v) {
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

bool has_kind(const rapidjson::Value& v, unsigned kinds) {
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

void check_fields(const rapidjson::Value& obj,
                  const std::vector<field_kind>& fields) {
  BOOST_REQUIRE(obj.IsObject());
  for (auto& f : fields)
    BOOST_TEST_CONTEXT("field " << f.name << " of " << to_json(obj)) {
      BOOST_TEST(obj.HasMember(f.name));
      BOOST_TEST(has_kind(member(obj, f.name), f.kinds));
    }
}

const std::vector<field_kind> task_fields{
  {"id", int_json},
  {"serial", string_json},
  {"username", string_json | null_json},
  {"script_name", string_json},
  {"script_config", object_json},
  {"status", int_json},
  {"status_text", string_json},
  {"source", string_json},
  {"scheduled_at", time_json | null_json},
  {"created_at", time_json},
  {"started_at", time_json | null_json},
  {"finished_at", time_json | null_json},
  {"duration_s", number_json | null_json},
  {"retry_count", int_json},
  {"remark", string_json},
  {"node", string_json | null_json},
};

const char* const status_names[] = {"pending", "running", "completed",
                                    "failed"};

void check_task(const rapidjson::Value& t) {
  check_fields(t, task_fields);
  auto status = static_cast<int>(int_of(member(t, "status")));
  BOOST_REQUIRE(status >= 0 && status <= 3);
  BOOST_TEST(text_of(member(t, "status_text")) == status_names[status]);
  auto source = text_of(member(t, "source"));
  BOOST_TEST((source == "api" || source == "ui"));
}

// -- requests -----------------------------------------------------------------

ids create(const server_process& srv, const std::string& body,
           const headers& extra = {}) {
  auto r = srv.post("/api/v1/task", body, extra);
  check_ok(r);
  BOOST_REQUIRE_MESSAGE(r.code() == 0, "create failed: " + r.text);
  auto out = ids_of(member(r.data(), "task_ids"));
  BOOST_TEST(r.data().MemberCount() == 2u);
  BOOST_TEST(id_of(member(r.data(), "created_count")) == out.size());
  BOOST_TEST(std::is_sorted(out.begin(), out.end()));
  return out;
}

uint64_t create_one(const server_process& srv, const std::string& body,
                    const headers& extra = {}) {
  auto out = create(srv, body, extra);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  return out.front();
}

/// GET /api/v1/task/{id}, checked to be a well-formed task.
reply task_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id));
  check_ok(r);
  check_task(r.data());
  BOOST_TEST(id_of(member(r.data(), "id")) == id);
  return r;
}

int status_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id));
  return static_cast<int>(int_of(member(r.data(), "status")));
}

bool reaches(const server_process& srv, uint64_t id, int status) {
  return wait_until([&] { return status_of(srv, id) == status; }, 15s);
}

reply action(const server_process& srv, uint64_t id,
             const std::string& what) {
  return srv.post(task_path(id, what));
}

/// A stop or retry that must succeed; the task after it.
reply acted(const server_process& srv, uint64_t id, const std::string& what) {
  auto r = action(srv, id, what);
  check_ok(r);
  check_task(r.data());
  return r;
}

reply list(const server_process& srv, const std::string& query = "") {
  auto r = srv.get("/api/v1/task" + query);
  check_ok(r);
  BOOST_REQUIRE(member(r.data(), "tasks").IsArray());
  for (auto& t : member(r.data(), "tasks").GetArray())
    check_task(t);
  return r;
}

int64_t count(const reply& r, const char* name) {
  return int_of(member(r.data(), name));
}

ids listed_ids(const reply& r) {
  ids out;
  for (auto& t : member(r.data(), "tasks").GetArray())
    out.push_back(id_of(member(t, "id")));
  return out;
}

/// The stats, checked against the list totals per status.
reply stats_matching_list(const server_process& srv) {
  auto stats = srv.get("/api/v1/task/stats");
  check_ok(stats);
  BOOST_TEST(stats.data().MemberCount() == 5u);
  int64_t sum = 0;
  for (int s = 0; s < 4; ++s) {
    auto listed = count(list(srv, "?status=" + std::to_string(s)), "total");
    BOOST_TEST(count(stats, status_names[s]) == listed, status_names[s]);
    sum += listed;
  }
  BOOST_TEST(count(stats, "total") == count(list(srv), "total"));
  BOOST_TEST(count(stats, "total") == sum);
  return stats;
}

/// The entry of `serial` in GET /api/v1/device.
rapidjson::Document device_named(const server_process& srv,
                                 const std::string& serial) {
  auto r = srv.get("/api/v1/device");
  check_ok(r);
  BOOST_REQUIRE(member(r.data(), "devices").IsArray());
  rapidjson::Document out;
  for (auto& d : member(r.data(), "devices").GetArray())
    if (text_of(member(d, "serial")) == serial)
      out.CopyFrom(d, out.GetAllocator());
  BOOST_REQUIRE_MESSAGE(out.IsObject(), "no device " + serial);
  return out;
}

/// Whether `serial` shows `state` and runs `task` (0: none).
bool device_is(const server_process& srv, const std::string& serial,
               const std::string& state, uint64_t task) {
  auto d = device_named(srv, serial);
  auto& running = member(d, "running_task_id");
  return text_of(member(d, "state")) == state
         && (task == 0 ? running.IsNull() : id_of(running) == task);
}

std::string post_body(size_t captions_bytes) {
  return task_body(serials({"sim-0001"}), "post",
                   "{\"captions\":\"" + std::string(captions_bytes, 'x')
                     + "\"}");
}

// -- time ---------------------------------------------------------------------

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// `ms` since the epoch as the API writes it, in the zone `offset_min`
/// minutes east of UTC: "2026-11-29T14:30:00.123+01:00".
std::string iso_at(int64_t ms, int offset_min = 0) {
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
int64_t ms_of(const rapidjson::Value& v) {
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

int64_t ms_of(const reply& task, const char* field) {
  return ms_of(member(task.data(), field));
}

std::string start_time(const std::string& value) {
  return "\"start_time\":\"" + value + "\"";
}

// -- accounts -----------------------------------------------------------------

std::string account_body(const std::string& username,
                         const std::string& serial,
                         const std::string& extra = "") {
  return "{\"username\":\"" + username + "\",\"serial\":\"" + serial + "\""
         + (extra.empty() ? "" : "," + extra) + "}";
}

/// The account object as the API must write it.
std::string account_json(const std::string& username,
                         const std::string& serial,
                         const std::string& platform = "tiktok",
                         bool enabled = true) {
  return "{\"username\":\"" + username + "\",\"serial\":\"" + serial
         + "\",\"platform\":\"" + platform + "\",\"enabled\":"
         + (enabled ? "true" : "false") + "}";
}

const std::vector<field_kind> account_fields{{"username", string_json},
                                             {"serial", string_json},
                                             {"platform", string_json},
                                             {"enabled", bool_json}};

/// POST /api/v1/account that must succeed; the account replied.
reply put_account(const server_process& srv, const std::string& body) {
  auto r = srv.post("/api/v1/account", body);
  check_ok(r);
  check_fields(r.data(), account_fields);
  BOOST_TEST(r.data().MemberCount() == account_fields.size());
  return r;
}

/// GET /api/v1/account with `query`, checked to be well-formed.
reply account_list(const server_process& srv, const std::string& query = "") {
  auto r = srv.get("/api/v1/account" + query);
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 4u);
  BOOST_REQUIRE(member(r.data(), "accounts").IsArray());
  for (auto& a : member(r.data(), "accounts").GetArray())
    check_fields(a, account_fields);
  return r;
}

std::vector<std::string> listed_usernames(const reply& r) {
  std::vector<std::string> out;
  for (auto& a : member(r.data(), "accounts").GetArray())
    out.push_back(text_of(member(a, "username")));
  return out;
}

/// The simulated accounts of devices sim-0001 to sim-000`devices`.
std::vector<std::string> sim_accounts(int devices) {
  std::vector<std::string> out;
  for (int i = 1; i <= devices; ++i)
    for (auto suffix : {"-a", "-b"})
      out.push_back("sim-000" + std::to_string(i) + suffix);
  return out;
}

// -- logs ---------------------------------------------------------------------

struct log_line {
  int64_t at; // ms since the epoch
  std::string at_text;
  std::string text;
};

/// GET /api/v1/task/{id}/log, checked to be well-formed; its lines.
std::vector<log_line> log_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id, "log"));
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 1u);
  auto& lines = member(r.data(), "lines");
  BOOST_REQUIRE_MESSAGE(lines.IsArray(), "no lines: " + r.text);
  std::vector<log_line> out;
  for (auto& line : lines.GetArray()) {
    check_fields(line, {{"at", time_json}, {"text", string_json}});
    BOOST_TEST(line.MemberCount() == 2u);
    out.push_back({ms_of(member(line, "at")), text_of(member(line, "at")),
                   text_of(member(line, "text"))});
  }
  return out;
}

/// The log of a task that ran: not empty.
std::vector<log_line> run_log_of(const server_process& srv, uint64_t id) {
  auto out = log_of(srv, id);
  BOOST_REQUIRE_MESSAGE(!out.empty(), "task " << id << " has no log");
  return out;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// Whether `n` tasks complete in time.
bool completes(const server_process& srv, int64_t n) {
  return wait_until(
    [&] { return count(srv.get("/api/v1/task/stats"), "completed") == n; },
    30s);
}

/// The task once `pred` holds for it (a failed test when it never does).
template <class Predicate>
reply task_when(const server_process& srv, uint64_t id, Predicate pred,
                steady::duration deadline = 15s) {
  reply last;
  bool held = wait_until(
    [&] {
      last = srv.get(task_path(id));
      return pred(last.data());
    },
    deadline);
  BOOST_REQUIRE_MESSAGE(held, "task " << id << " is " << last.text);
  check_task(last.data());
  return last;
}

} // namespace

// -- envelope, license -------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(license_check_on_pro, api_server) {
  auto r = get("/api/v1/license/check");
  check_ok(r);
  BOOST_TEST(text_of(member(r.data(), "plan_name")) == "Pro");
  BOOST_TEST(member(r.data(), "api_enabled").IsTrue());
  BOOST_TEST(int_of(member(r.data(), "device_limit")) == 0);
  BOOST_TEST(text_of(member(r.data(), "message")) == "API access enabled");
}

BOOST_AUTO_TEST_CASE(license_check_shows_plan_and_device_limit) {
  api_server srv(
    options{{"license.plan", "Team"}, {"license.device-limit", "3"}});
  auto r = srv.get("/api/v1/license/check");
  check_ok(r);
  BOOST_TEST(text_of(member(r.data(), "plan_name")) == "Team");
  BOOST_TEST(int_of(member(r.data(), "device_limit")) == 3);
}

BOOST_AUTO_TEST_CASE(starter_plan_refuses_every_endpoint) {
  api_server srv(options{{"license.plan", "Starter"}});
  auto valid = task_body(serials({"sim-0001"}));
  std::vector<error_case> cases;
  for (auto [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
         {"GET", "/api/v1/license/check", ""},
         {"GET", "/api/v1/task", ""},
         {"POST", "/api/v1/task", valid},
         {"GET", "/api/v1/task/1", ""},
         {"DELETE", "/api/v1/task/1", ""},
         {"DELETE", "/api/v1/task/batch", batch_body({1})},
         {"POST", "/api/v1/task/1/stop", ""},
         {"POST", "/api/v1/task/1/retry", ""},
         {"POST", "/api/v1/task/retry-all", ""},
         {"GET", "/api/v1/task/stats", ""},
         {"GET", "/api/v1/device", ""},
         {"GET", "/api/v1/account", ""},
         {"GET", "/api/v1/node", ""},
         {"GET", "/api/v1/task/1/log", ""},
       })
    cases.push_back({method, path, body, 403, 40301, ""});
  check_errors(srv, cases);
}

// -- create -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(task_object_fields_and_types, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"}), "post",
                                        R"({"captions":"hi"})"));
  auto r = task_of(*this, id);
  auto& t = r.data();
  BOOST_TEST(text_of(member(t, "serial")) == "sim-0001");
  BOOST_TEST(member(t, "username").IsNull());
  BOOST_TEST(text_of(member(t, "script_name")) == "post");
  BOOST_TEST(text_of(member(t, "source")) == "api");
  BOOST_TEST(member(t, "scheduled_at").IsNull());
  BOOST_TEST(int_of(member(t, "retry_count")) == 0);
  auto& config = member(t, "script_config");
  BOOST_TEST(text_of(member(config, "captions")) == "hi");
  BOOST_TEST(int_of(member(config, "content_type")) == 0);
  BOOST_TEST(text_of(member(config, "post_way")) == "share");
  BOOST_TEST(int_of(member(config, "upload_wait_time")) == 30);
  BOOST_TEST(int_of(member(config, "origin_sound_volume")) == 50);
  BOOST_REQUIRE(reaches(*this, id, 2));
  auto done = task_of(*this, id);
  auto& d = done.data();
  BOOST_TEST(is_time(member(d, "started_at")));
  BOOST_TEST(is_time(member(d, "finished_at")));
  auto& duration = member(d, "duration_s");
  BOOST_TEST((duration.IsNumber() && duration.GetDouble() >= 0.2));
  BOOST_TEST(member(d, "node").IsString());
  BOOST_TEST(text_of(member(d, "remark")) == "");
  auto listed = list(*this);
  BOOST_REQUIRE_EQUAL(listed_ids(listed).size(), 1u);
  BOOST_TEST(count(listed, "total") == 1);
  BOOST_TEST(to_json(member(listed.data(), "tasks")[0]) == to_json(d));
  auto later_id = create_one(*this, task_body(serials({"sim-0002"}), "post",
                                              "{}", later));
  BOOST_TEST(is_time(member(task_of(*this, later_id).data(),
                            "scheduled_at")));
}

BOOST_FIXTURE_TEST_CASE(create_fan_out, api_server) {
  // (serial, username, target) of each task; "" for null / none.
  using unit = std::tuple<std::string, std::string, std::string>;
  struct fan_out_case {
    std::string body;
    std::vector<unit> tasks;
  };
  auto follow = R"({"target_users":["u1","u2","u3"]})";
  auto unfollow = R"({"target_user":"u1,u2\nu3","access_method":"search"})";
  auto by_username = R"({"target_username":"u1, u2,u3"})";
  std::vector<fan_out_case> cases{
    {task_body(serials({"sim-0001", "sim-0002"})),
     {{"sim-0001", "", ""}, {"sim-0002", "", ""}}},
    {task_body(usernames({"sim-0001-a", "sim-0002-b"})),
     {{"sim-0001", "sim-0001-a", ""}, {"sim-0002", "sim-0002-b", ""}}},
    {task_body(serials({"sim-0003", "sim-0004"}), "post", "{}",
               R"("enable_multi_account":true)"),
     {{"sim-0003", "sim-0003-a", ""},
      {"sim-0003", "sim-0003-b", ""},
      {"sim-0004", "sim-0004-a", ""},
      {"sim-0004", "sim-0004-b", ""}}},
    {task_body(usernames({"sim-0001-b"}), "account_warmup"),
     {{"sim-0001", "sim-0001-b", ""}}},
  };
  for (auto [script, config] : {std::pair{"follow", follow},
                                std::pair{"unfollow", unfollow},
                                std::pair{"follow", by_username}}) {
    fan_out_case c{task_body(serials({"sim-0001", "sim-0002"}), script,
                             config),
                   {}};
    for (auto serial : {"sim-0001", "sim-0002"})
      for (auto target : {"u1", "u2", "u3"})
        c.tasks.emplace_back(serial, "", target);
    cases.push_back(c);
  }
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      auto created = create(*this, c.body);
      std::vector<unit> got;
      for (auto id : created) {
        auto r = task_of(*this, id);
        auto& config = member(r.data(), "script_config");
        auto& targets = member(config, "target_users");
        BOOST_TEST(!config.HasMember("target_user"));
        BOOST_TEST(!config.HasMember("target_username"));
        std::string target;
        if (targets.IsArray()) {
          BOOST_TEST(targets.Size() == 1u);
          target = text_of(targets[0]);
        }
        got.emplace_back(text_of(member(r.data(), "serial")),
                         text_of(member(r.data(), "username")), target);
      }
      std::sort(got.begin(), got.end());
      std::sort(c.tasks.begin(), c.tasks.end());
      BOOST_TEST((got == c.tasks));
    }
}

BOOST_FIXTURE_TEST_CASE(create_errors_store_nothing, api_server) {
  auto one = serials({"sim-0001"});
  check_errors(*this, {
    bad_create(task_body(serials({"sim-0001", "sim-0001"})), "sim-0001"),
    bad_create(task_body(serials({"sim-0001", "sim-9999"})), "sim-9999"),
    bad_create(task_body(usernames({"sim-0001-a", "ghost"})), "ghost"),
    bad_create(task_body(usernames({"sim-0001-a", "sim-0001-a"})),
               "sim-0001-a"),
    bad_create(task_body(one + "," + usernames({"sim-0001-a"})), ""),
    bad_create(task_body(serials({})), "serials"),
    bad_create(R"({"script_name":"post","script_config":{}})", "serials"),
    bad_create(task_body(serials({""})), "serials"),
    bad_create(task_body("\"serials\":\"sim-0001\""), "serials"),
    bad_create("{" + one + R"(,"script_config":{}})", "script_name", 40002),
    bad_create(task_body(one, ""), "script_name", 40002),
    bad_create(task_body(one, "like"), "like", 40003),
    bad_create(task_body(one, "scrape_user"), "scrape_user", 40003),
    bad_create(task_body(one, "dance"), "dance", 40003),
    bad_create("{" + one + R"(,"script_name":"post"})", "script_config"),
    bad_create(task_body(one, "post", "[]"), "script_config"),
    bad_create(task_body(one, "post", R"({"content_type":"x"})"),
               "content_type"),
    bad_create(task_body(one, "post", R"({"origin_sound_volume":101})"),
               "origin_sound_volume"),
    bad_create(task_body(one, "post", R"({"post_way":"fax"})"), "post_way"),
    bad_create(task_body(one, "post", R"({"post_way":"useSound"})"),
               "sound_name"),
    bad_create(task_body(one, "follow", "{}"), "target_user"),
    bad_create(task_body(one, "account_warmup",
                         R"({"min_duration":40,"max_duration":30})"),
               "min_duration"),
    bad_create(task_body(usernames({"sim-0001-a"}), "post", "{}",
                         R"("enable_multi_account":true)"),
               "enable_multi_account"),
    bad_create(task_body(one, "post", "{}", R"("enable_multi_account":1)"),
               "enable_multi_account"),
    bad_create(task_body(one, "post", "{}", R"("start_time":"25:00")"),
               "start_time"),
    bad_create(task_body(one, "post", "{}",
                         R"("min_interval":5,"max_interval":2)"),
               "min_interval"),
    bad_create(task_body(one, "post", "{}", R"("min_interval":-1)"),
               "min_interval"),
    bad_create("{\"serials\":", ""),
    bad_create("not json", ""),
    bad_create("[]", ""),
    bad_create("\"text\"", ""),
    bad_create("42", ""),
    bad_create("", ""),
  });
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

BOOST_FIXTURE_TEST_CASE(unknown_fields_are_ignored, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"}), "post",
                                        R"({"colour":"blue"})",
                                        R"("priority":9)"));
  BOOST_TEST(text_of(member(task_of(*this, id).data(), "script_name"))
             == "post");
}

BOOST_FIXTURE_TEST_CASE(oversized_body_is_refused, api_server) {
  constexpr size_t mib = 1024 * 1024;
  for (auto size : {mib + 1024, 9 * mib})
    BOOST_TEST_CONTEXT("captions of " << size << " bytes") {
      auto r = post("/api/v1/task", post_body(size));
      if (r.status != 0) { // a closed connection is allowed too
        BOOST_TEST((r.status == 400 || r.status == 413), r.status);
        BOOST_TEST(r.code() == 40001);
      }
      BOOST_TEST(answers());
      BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
    }
  // Just under the limit is an ordinary create.
  create_one(*this, post_body(mib - 1024));
}

BOOST_FIXTURE_TEST_CASE(idempotency_key, api_server) {
  auto body = task_body(serials({"sim-0001", "sim-0002"}), "post", "{}",
                        later);
  headers key_a{{"Idempotency-Key", "key-a"}};
  auto first = create(*this, body, key_a);
  BOOST_TEST(first.size() == 2u);
  BOOST_TEST(create(*this, body, key_a) == first);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 2);
  auto other = task_body(serials({"sim-0003"}), "post", "{}", later);
  check_error(post("/api/v1/task", other, key_a), 409, 40901);
  headers key_b{{"Idempotency-Key", "key-b"}};
  auto unknown = task_body(serials({"sim-9999"}));
  check_error(post("/api/v1/task", unknown, key_b), 400, 40001, "sim-9999");
  auto second = create(*this, other, key_b);
  BOOST_TEST(second.size() == 1u);
  BOOST_TEST(second.front() > first.back());
  BOOST_TEST(create(*this, other, key_b) == second);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 3);
  // Keys are stored with the tasks: a restart forgets none.
  restart();
  BOOST_TEST(create(*this, body, key_a) == first);
  check_error(post("/api/v1/task", other, key_a), 409, 40901);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 3);
}

// -- list, stats ------------------------------------------------------------

/// Six tasks in three states, two of them from the UI:
/// posts a1 a2 a3 (sim-0001, due later; a1 stopped, so failed),
/// warmups b1 (sim-0002) b2 (sim-0004) from the UI, due later,
/// follow c1 (sim-0003), completed.
struct mixed_tasks : api_server {
  ids a, b;
  uint64_t c1 = 0;

  mixed_tasks() {
    for (int i = 0; i < 3; ++i)
      a.push_back(create_one(*this, task_body(serials({"sim-0001"}), "post",
                                              "{}", later)));
    b = create(*this,
               task_body(serials({"sim-0002", "sim-0004"}), "account_warmup",
                         "{}", later),
               from_ui);
    BOOST_REQUIRE_EQUAL(b.size(), 2u);
    c1 = create_one(*this, task_body(serials({"sim-0003"}), "follow",
                                     R"({"target_users":["x"]})"));
    BOOST_REQUIRE(reaches(*this, c1, 2));
    acted(*this, a[0], "stop");
  }

  reply all_tasks() {
    return list(*this, "?page_size=100");
  }
};

BOOST_FIXTURE_TEST_CASE(list_filters_and_paging, mixed_tasks) {
  struct list_case {
    std::string query;
    ids expected; // in the order listed
    int64_t total;
  };
  auto a1 = a[0], a2 = a[1], a3 = a[2];
  auto b1 = b[0], b2 = b[1];
  ids all{c1, b2, b1, a3, a2, a1};
  std::vector<list_case> cases{
    {"", all, 6},
    {"?status=0", {b2, b1, a3, a2}, 4},
    {"?status=1", {}, 0},
    {"?status=2", {c1}, 1},
    {"?status=3", {a1}, 1},
    {"?serial=sim-0001", {a3, a2, a1}, 3},
    {"?serial=sim-0002", {b1}, 1},
    {"?serial=sim-9999", {}, 0},
    {"?script_name=account_warmup", {b2, b1}, 2},
    {"?script_name=follow", {c1}, 1},
    {"?script_name=nothing", {}, 0},
    {"?source=ui", {b2, b1}, 2},
    {"?source=api", {c1, a3, a2, a1}, 4},
    {"?status=0&serial=sim-0001", {a3, a2}, 2},
    {"?source=ui&serial=sim-0004", {b2}, 1},
    {"?page_size=2", {c1, b2}, 6},
    {"?page_size=2&page=2", {b1, a3}, 6},
    {"?page=2&page_size=4", {a2, a1}, 6},
    {"?page=3&page_size=5", {}, 6},
    {"?page_size=100&colour=blue", all, 6},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT("GET /api/v1/task" << c.query) {
      auto r = list(*this, c.query);
      BOOST_TEST(listed_ids(r) == c.expected);
      BOOST_TEST(count(r, "total") == c.total);
      BOOST_TEST(r.data().MemberCount() == 4u);
    }
  auto r = list(*this, "?page=2&page_size=4");
  BOOST_TEST(count(r, "page") == 2);
  BOOST_TEST(count(r, "page_size") == 4);
  r = list(*this);
  BOOST_TEST(count(r, "page") == 1);
  BOOST_TEST(count(r, "page_size") == 20);
  for (auto id : b)
    BOOST_TEST(text_of(member(task_of(*this, id).data(), "source")) == "ui");
}

BOOST_FIXTURE_TEST_CASE(stats_are_exact, mixed_tasks) {
  auto stats = stats_matching_list(*this);
  BOOST_TEST(count(stats, "total") == 6);
  BOOST_TEST(count(stats, "pending") == 4);
  BOOST_TEST(count(stats, "running") == 0);
  BOOST_TEST(count(stats, "completed") == 1);
  BOOST_TEST(count(stats, "failed") == 1);
}

BOOST_FIXTURE_TEST_CASE(list_query_errors, api_server) {
  std::vector<error_case> cases;
  for (std::string query : {"page_size=0", "page_size=101", "page_size=abc",
                            "page_size=", "page=0", "page=abc", "page=-1",
                            "status=7", "status=-1", "status=abc", "status=",
                            "source=web"})
    cases.push_back({"GET", "/api/v1/task?" + query, "", 400, 40001,
                     query.substr(0, query.find('='))});
  check_errors(*this, cases);
}

// -- routes -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(routes_and_task_ids, api_server) {
  auto wrong_method = [](const char* method, const char* path) {
    return error_case{method, path, "", 405, 40001, ""};
  };
  auto no_route = [](const char* method, const char* path) {
    return error_case{method, path, "", 404, 40401, ""};
  };
  auto bad_id = [](const char* method, const char* path) {
    return error_case{method, path, "", 400, 40001, "task_id"};
  };
  check_errors(*this, {
    wrong_method("PUT", "/api/v1/task"),
    wrong_method("DELETE", "/api/v1/task"),
    wrong_method("GET", "/api/v1/task/batch"),
    wrong_method("POST", "/api/v1/task/batch"),
    wrong_method("POST", "/api/v1/task/stats"),
    wrong_method("DELETE", "/api/v1/task/stats"),
    wrong_method("GET", "/api/v1/task/retry-all"),
    wrong_method("POST", "/api/v1/license/check"),
    wrong_method("DELETE", "/api/v1/device"),
    wrong_method("PUT", "/api/v1/task/1"),
    wrong_method("POST", "/api/v1/task/1"),
    wrong_method("GET", "/api/v1/task/1/stop"),
    wrong_method("DELETE", "/api/v1/task/1/retry"),
    no_route("GET", "/api/v1/nothing"),
    no_route("GET", "/nothing"),
    no_route("GET", "/api/v2/task"),
    no_route("GET", "/api/v1/task/1/nothing"),
    no_route("GET", "/api/v1/task/999999"),
    no_route("DELETE", "/api/v1/task/999999"),
    no_route("POST", "/api/v1/task/999999/stop"),
    no_route("POST", "/api/v1/task/999999/retry"),
    bad_id("GET", "/api/v1/task/abc"),
    bad_id("GET", "/api/v1/task/12abc"),
    bad_id("DELETE", "/api/v1/task/abc"),
    bad_id("POST", "/api/v1/task/abc/stop"),
    bad_id("POST", "/api/v1/task/abc/retry"),
  });
}

// -- delete -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(delete_one_task, api_server) {
  auto body = task_body(serials({"sim-0001"}), "post", "{}", later);
  auto first = create_one(*this, body);
  auto second = create_one(*this, body);
  auto r = del(task_path(second));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 1);
  BOOST_TEST(r.data().MemberCount() == 1u);
  check_error(get(task_path(second)), 404, 40401);
  check_error(del(task_path(second)), 404, 40401);
  // Ids are never reused, not even the newest after its delete.
  BOOST_TEST(create_one(*this, body) > second);
  BOOST_TEST(status_of(*this, first) == 0);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 2);
}

BOOST_FIXTURE_TEST_CASE(batch_delete, api_server) {
  auto made = create(*this, task_body(serials({"sim-0001", "sim-0002",
                                               "sim-0003"}),
                                      "post", "{}", later));
  auto r = del("/api/v1/task/batch",
               batch_body({made[0], made[1], made[0], 999999}));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 2);
  BOOST_TEST(ids_of(member(r.data(), "not_found")) == ids{999999});
  check_error(get(task_path(made[0])), 404, 40401);
  check_error(get(task_path(made[1])), 404, 40401);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 1);
  // 1000 ids are allowed, 1001 are not.
  ids thousand{made[2]};
  for (uint64_t id = 1000001; thousand.size() < 1000; ++id)
    thousand.push_back(id);
  auto too_many = thousand;
  too_many.push_back(2000001);
  std::vector<error_case> cases;
  for (auto body : {batch_body(too_many), std::string("{}"),
                    batch_body({}), std::string(R"({"task_ids":"1"})"),
                    std::string(R"({"task_ids":["a"]})"),
                    std::string(R"({"task_ids":[-1]})"),
                    std::string("[1,2]"), std::string("not json"),
                    std::string("")})
    cases.push_back({"DELETE", "/api/v1/task/batch", body, 400, 40001,
                     ""});
  check_errors(*this, cases);
  BOOST_TEST(status_of(*this, made[2]) == 0);
  r = del("/api/v1/task/batch", batch_body(thousand));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 1);
  BOOST_TEST(ids_of(member(r.data(), "not_found")).size() == 999u);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

// -- stop, retry --------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(stop_pending_then_retry, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"}), "post", "{}",
                                        later));
  check_error(action(*this, id, "retry"), 409, 40901);
  auto stopped = acted(*this, id, "stop");
  auto& t = stopped.data();
  BOOST_TEST(int_of(member(t, "status")) == 3);
  BOOST_TEST(text_of(member(t, "remark")) == "stopped by user");
  BOOST_TEST(member(t, "started_at").IsNull());
  BOOST_TEST(member(t, "finished_at").IsNull());
  // Stop is idempotent.
  BOOST_TEST(to_json(acted(*this, id, "stop").data()) == to_json(t));
  BOOST_TEST(to_json(task_of(*this, id).data()) == to_json(t));
  auto retried = acted(*this, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "status")) == 0);
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(retried.data(), "remark")) == "");
  BOOST_TEST(to_json(task_of(*this, id).data()) == to_json(retried.data()));
  check_error(action(*this, id, "retry"), 409, 40901);
}

BOOST_FIXTURE_TEST_CASE(stop_completed_changes_nothing, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(*this, id, 2));
  auto before = to_json(task_of(*this, id).data());
  BOOST_TEST(to_json(acted(*this, id, "stop").data()) == before);
  BOOST_TEST(to_json(task_of(*this, id).data()) == before);
  check_error(action(*this, id, "retry"), 409, 40901);
}

BOOST_FIXTURE_TEST_CASE(retry_all_retries_only_failed, api_server) {
  auto waiting = create(*this, task_body(serials({"sim-0001", "sim-0002",
                                                  "sim-0003"}),
                                         "post", "{}", later));
  auto done = create_one(*this, task_body(serials({"sim-0004"})));
  BOOST_REQUIRE(reaches(*this, done, 2));
  auto pending = create_one(*this, task_body(serials({"sim-0004"}), "post",
                                             "{}", later));
  for (auto id : waiting)
    acted(*this, id, "stop");
  auto r = post("/api/v1/task/retry-all");
  check_ok(r);
  BOOST_TEST(count(r, "retried_count") == 3);
  for (auto id : waiting) {
    auto t = task_of(*this, id);
    BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    BOOST_TEST(int_of(member(t.data(), "retry_count")) == 1);
  }
  BOOST_TEST(status_of(*this, done) == 2);
  BOOST_TEST(int_of(member(task_of(*this, pending).data(), "retry_count"))
             == 0);
  r = post("/api/v1/task/retry-all");
  check_ok(r);
  BOOST_TEST(count(r, "retried_count") == 0);
}

BOOST_AUTO_TEST_CASE(failed_run_is_retried_and_runs_again) {
  api_server srv(options{{"sim.failure-rate", "1"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(srv, id, 3));
  auto failed = task_of(srv, id);
  BOOST_TEST(text_of(member(failed.data(), "remark")) == "simulated failure");
  auto retried = acted(srv, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(retried.data(), "remark")) == "");
  // The timestamps of the last run stay until the next run starts.
  auto first_start = text_of(member(failed.data(), "started_at"));
  BOOST_TEST(text_of(member(retried.data(), "started_at")) == first_start);
  BOOST_REQUIRE(wait_until(
    [&] {
      auto t = srv.get(task_path(id));
      return int_of(member(t.data(), "status")) == 3
             && text_of(member(t.data(), "started_at")) != first_start;
    },
    15s));
  auto again = task_of(srv, id);
  BOOST_TEST(int_of(member(again.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(again.data(), "remark")) == "simulated failure");
}

// -- devices and running tasks ------------------------------------------------

BOOST_AUTO_TEST_CASE(device_limit_caps_running_devices) {
  api_server srv(options{{"license.device-limit", "1"}});
  auto made = create(srv, task_body(serials({"sim-0001", "sim-0002",
                                             "sim-0003", "sim-0004"})));
  BOOST_REQUIRE(completes(srv, 4));
  // With one device at a time the runs cannot overlap. (Same offset in
  // every time stamp, so text order is time order.)
  std::vector<std::pair<std::string, std::string>> runs;
  for (auto id : made) {
    auto t = task_of(srv, id);
    runs.emplace_back(text_of(member(t.data(), "started_at")),
                      text_of(member(t.data(), "finished_at")));
  }
  std::sort(runs.begin(), runs.end());
  for (size_t i = 1; i < runs.size(); ++i)
    BOOST_TEST(runs[i].first >= runs[i - 1].second,
               "run " << i << " started at " << runs[i].first
                      << " before run " << i - 1 << " ended at "
                      << runs[i - 1].second);
}

BOOST_AUTO_TEST_CASE(devices_and_running_tasks) {
  api_server srv(options{{"sim.task-duration", "60s"}});
  BOOST_REQUIRE(wait_until(
    [&] {
      auto r = srv.get("/api/v1/device");
      auto& devs = member(r.data(), "devices");
      return devs.IsArray() && devs.Size() == 4
             && std::all_of(devs.Begin(), devs.End(), [](auto& d) {
                  return text_of(member(d, "state")) == "online";
                });
    },
    15s));
  auto r = srv.get("/api/v1/device");
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 1u);
  int n = 0;
  for (auto& d : member(r.data(), "devices").GetArray()) {
    check_fields(d, {{"serial", string_json},
                     {"node", string_json | null_json},
                     {"state", string_json},
                     {"running_task_id", null_json},
                     {"queued", int_json},
                     {"accounts", array_json}});
    auto serial = "sim-000" + std::to_string(++n);
    BOOST_TEST(text_of(member(d, "serial")) == serial);
    BOOST_TEST(int_of(member(d, "queued")) == 0);
    std::set<std::string> accounts;
    for (auto& a : member(d, "accounts").GetArray())
      accounts.insert(text_of(a));
    BOOST_TEST((accounts == std::set<std::string>{serial + "-a",
                                                  serial + "-b"}));
  }
  auto body = task_body(serials({"sim-0001"}));
  auto first = create_one(srv, body);
  auto second = create_one(srv, body);
  BOOST_REQUIRE(reaches(srv, first, 1));
  BOOST_REQUIRE(wait_until(
    [&] { return device_is(srv, "sim-0001", "busy", first); }, 15s));
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued"))
             == 1);
  auto running = task_of(srv, first);
  BOOST_TEST(is_time(member(running.data(), "started_at")));
  BOOST_TEST(member(running.data(), "finished_at").IsNull());
  BOOST_TEST(member(running.data(), "duration_s").IsNumber());
  BOOST_TEST(member(running.data(), "node").IsString());
  auto stats = stats_matching_list(srv);
  BOOST_TEST(count(stats, "running") == 1);
  BOOST_TEST(count(stats, "pending") == 1);
  check_error(action(srv, first, "retry"), 409, 40901);
  check_error(action(srv, second, "retry"), 409, 40901);
  // Stop of a running task, twice.
  auto stopped = acted(srv, first, "stop");
  BOOST_TEST(int_of(member(stopped.data(), "status")) == 3);
  BOOST_TEST(text_of(member(stopped.data(), "remark")) == "stopped by user");
  BOOST_TEST(is_time(member(stopped.data(), "finished_at")));
  BOOST_TEST(to_json(acted(srv, first, "stop").data())
             == to_json(stopped.data()));
  // The next one runs; delete ends its run.
  BOOST_REQUIRE(reaches(srv, second, 1));
  BOOST_REQUIRE(wait_until(
    [&] { return device_is(srv, "sim-0001", "busy", second); }, 15s));
  auto gone = srv.del(task_path(second));
  check_ok(gone);
  BOOST_TEST(count(gone, "deleted_count") == 1);
  check_error(srv.get(task_path(second)), 404, 40401);
  BOOST_TEST(wait_until(
    [&] { return device_is(srv, "sim-0001", "online", 0); }, 15s));
  BOOST_TEST(count(stats_matching_list(srv), "total") == 1);
}

// -- accounts -----------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(account_create_replace_and_defaults, api_server) {
  struct put_case {
    std::string body;
    std::string expected; // the reply
  };
  std::vector<put_case> cases{
    {account_body("@user1", "sim-0001"), account_json("@user1", "sim-0001")},
    {account_body("user1", "sim-0002",
                  R"("platform":"instagram","enabled":false)"),
     account_json("user1", "sim-0002", "instagram", false)},
    // Same username: replaced as a whole, unknown fields ignored.
    {account_body("@user1", "sim-0003",
                  R"("platform":"instagram","enabled":false,"colour":"x")"),
     account_json("@user1", "sim-0003", "instagram", false)},
    {account_body("@user1", "sim-0003", R"("platform":"instagram")"),
     account_json("@user1", "sim-0003", "instagram", true)},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      BOOST_TEST(to_json(put_account(*this, c.body).data()) == c.expected);
    }
  // "@user1" and "user1" are two accounts, each stored once.
  for (auto [query, expected] :
       std::vector<std::pair<std::string, std::string>>{
         {"?platform=instagram",
          "[" + account_json("@user1", "sim-0003", "instagram", true) + ","
            + account_json("user1", "sim-0002", "instagram", false) + "]"},
         {"?serial=sim-0001&page_size=100",
          "[" + account_json("sim-0001-a", "sim-0001") + ","
            + account_json("sim-0001-b", "sim-0001") + "]"},
       })
    BOOST_TEST_CONTEXT("GET /api/v1/account" << query) {
      auto r = account_list(*this, query);
      BOOST_TEST(to_json(member(r.data(), "accounts")) == expected);
    }
  BOOST_TEST(count(account_list(*this), "total") == 10);
  // The device list shows each device's accounts as registered now.
  for (auto [serial, expected] :
       std::vector<std::pair<std::string, std::set<std::string>>>{
         {"sim-0001", {"sim-0001-a", "sim-0001-b"}},
         {"sim-0002", {"sim-0002-a", "sim-0002-b", "user1"}},
         {"sim-0003", {"@user1", "sim-0003-a", "sim-0003-b"}},
       })
    BOOST_TEST_CONTEXT(serial) {
      auto device = device_named(*this, serial);
      std::set<std::string> got;
      for (auto& a : member(device, "accounts").GetArray())
        got.insert(text_of(a));
      BOOST_TEST((got == expected));
    }
}

BOOST_FIXTURE_TEST_CASE(account_errors_store_nothing, api_server) {
  auto bad_put = [](const std::string& body, const char* names) {
    return error_case{"POST", "/api/v1/account", body, 400, 40001, names};
  };
  auto bad_query = [](const std::string& query) {
    return error_case{"GET", "/api/v1/account?" + query, "", 400, 40001,
                      query.substr(0, query.find('='))};
  };
  check_errors(*this, {
    bad_put(R"({"serial":"sim-0001"})", "username"),
    bad_put(account_body("", "sim-0001"), "username"),
    bad_put(R"({"username":7,"serial":"sim-0001"})", "username"),
    bad_put(R"({"username":["a"],"serial":"sim-0001"})", "username"),
    bad_put(R"({"username":"a"})", "serial"),
    bad_put(account_body("a", ""), "serial"),
    bad_put(R"({"username":"a","serial":["sim-0001"]})", "serial"),
    bad_put(account_body("a", "sim-9999"), "sim-9999"),
    bad_put(account_body("a", "sim-0001", R"("platform":"x")"), "platform"),
    bad_put(account_body("a", "sim-0001", R"("platform":1)"), "platform"),
    bad_put(account_body("a", "sim-0001", R"("enabled":"yes")"), "enabled"),
    bad_put(account_body("a", "sim-0001", R"("enabled":1)"), "enabled"),
    bad_put("[]", ""),
    bad_put("\"a\"", ""),
    bad_put("not json", ""),
    bad_put("", ""),
    bad_query("platform=x"),
    bad_query("enabled=yes"),
    bad_query("enabled="),
    bad_query("page=0"),
    bad_query("page=abc"),
    bad_query("page_size=0"),
    bad_query("page_size=101"),
    bad_query("page_size=abc"),
    {"DELETE", "/api/v1/account/ghost", "", 404, 40401, ""},
    {"DELETE", "/api/v1/account/%40sim-0001-a", "", 404, 40401, ""},
    {"DELETE", "/api/v1/account/%zz", "", 400, 40001, "username"},
    {"PUT", "/api/v1/account", "", 405, 40001, ""},
    {"DELETE", "/api/v1/account", "", 405, 40001, ""},
    {"GET", "/api/v1/account/sim-0001-a", "", 405, 40001, ""},
    {"POST", "/api/v1/account/sim-0001-a", "", 405, 40001, ""},
  });
  auto r = account_list(*this, "?page_size=100");
  BOOST_TEST(listed_usernames(r) == sim_accounts(4));
  BOOST_TEST(count(r, "total") == 8);
}

/// Three registered accounts besides the simulated ones: "@user1"
/// (sim-0003, instagram), "user1" (sim-0004) and "@off" (sim-0002,
/// instagram, disabled).
struct registered_accounts : api_server {
  registered_accounts() {
    put_account(*this, account_body("@user1", "sim-0003",
                                    R"("platform":"instagram")"));
    put_account(*this, account_body("user1", "sim-0004"));
    put_account(*this, account_body("@off", "sim-0002",
                                    R"("platform":"instagram",)"
                                    R"("enabled":false)"));
  }
};

BOOST_FIXTURE_TEST_CASE(account_list_filters_and_paging, registered_accounts) {
  using names = std::vector<std::string>;
  struct list_case {
    std::string query;
    names expected; // in the order listed
    int64_t total;
  };
  auto sims = sim_accounts(4);
  names all{"@off", "@user1"};
  all.insert(all.end(), sims.begin(), sims.end());
  all.push_back("user1");
  auto tiktok = sims;
  tiktok.push_back("user1");
  auto enabled = all;
  enabled.erase(enabled.begin());
  std::vector<list_case> cases{
    {"?page_size=100", all, 11},
    {"?serial=sim-0002", {"@off", "sim-0002-a", "sim-0002-b"}, 3},
    {"?serial=sim-0004", {"sim-0004-a", "sim-0004-b", "user1"}, 3},
    {"?serial=sim-9999", {}, 0},
    {"?platform=instagram", {"@off", "@user1"}, 2},
    {"?platform=tiktok", tiktok, 9},
    {"?enabled=false", {"@off"}, 1},
    {"?enabled=true", enabled, 10},
    {"?serial=sim-0003&platform=instagram&enabled=true", {"@user1"}, 1},
    {"?serial=sim-0003&enabled=false", {}, 0},
    {"?page_size=4", {"@off", "@user1", "sim-0001-a", "sim-0001-b"}, 11},
    {"?page=3&page_size=4", {"sim-0004-a", "sim-0004-b", "user1"}, 11},
    {"?page=4&page_size=4", {}, 11},
    {"?page=2&page_size=2&platform=tiktok", {"sim-0002-a", "sim-0002-b"},
     9},
    {"?colour=blue&page_size=100", all, 11},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT("GET /api/v1/account" << c.query) {
      auto r = account_list(*this, c.query);
      BOOST_TEST(listed_usernames(r) == c.expected);
      BOOST_TEST(count(r, "total") == c.total);
    }
  auto r = account_list(*this);
  BOOST_TEST(count(r, "page") == 1);
  BOOST_TEST(count(r, "page_size") == 20);
  r = account_list(*this, "?page=3&page_size=4");
  BOOST_TEST(count(r, "page") == 3);
  BOOST_TEST(count(r, "page_size") == 4);
  // The simulated accounts as the device host announced them.
  r = account_list(*this, "?page_size=100");
  for (auto& a : member(r.data(), "accounts").GetArray()) {
    auto name = text_of(member(a, "username"));
    if (starts_with(name, "sim-"))
      BOOST_TEST(to_json(a) == account_json(name, name.substr(0, 8)));
  }
}

BOOST_FIXTURE_TEST_CASE(account_delete, registered_accounts) {
  auto r = del("/api/v1/account/%40user1");
  check_ok(r);
  BOOST_TEST(to_json(r.data()) == R"({"deleted_count":1})");
  check_error(del("/api/v1/account/%40user1"), 404, 40401);
  auto left = listed_usernames(account_list(*this, "?serial=sim-0004"));
  BOOST_TEST(left == (std::vector<std::string>{"sim-0004-a", "sim-0004-b",
                                               "user1"}));
  BOOST_TEST(count(account_list(*this, "?serial=sim-0003"), "total") == 2);
  // Gone from the registry, so gone for username mode too.
  check_error(post("/api/v1/task", task_body(usernames({"@user1"}))), 400,
              40001, "@user1");
  // A task already created for an account runs as it after the delete
  // (queued behind another one, it had not started yet).
  auto ahead = create_one(*this, task_body(serials({"sim-0004"})));
  auto queued = create_one(*this, task_body(usernames({"user1"})));
  check_ok(del("/api/v1/account/user1"));
  check_ok(del("/api/v1/account/sim-0001-a"));
  BOOST_TEST(count(account_list(*this), "total") == 8);
  BOOST_REQUIRE(reaches(*this, queued, 2));
  BOOST_TEST(ms_of(task_of(*this, queued), "started_at")
             >= ms_of(task_of(*this, ahead), "finished_at"));
  auto first_line = run_log_of(*this, queued).front().text;
  BOOST_TEST(starts_with(first_line, "started on device sim-0004 as user1"),
             first_line);
  auto device = device_named(*this, "sim-0004");
  BOOST_TEST(to_json(member(device, "accounts"))
             == R"(["sim-0004-a","sim-0004-b"])");
}

BOOST_FIXTURE_TEST_CASE(username_mode_uses_the_registry, registered_accounts) {
  // (serial, username) of each task, sorted; "@user1" and "user1" are two
  // accounts.
  using unit = std::pair<std::string, std::string>;
  auto units_of = [&](const ids& made) {
    std::vector<unit> out;
    for (auto id : made) {
      auto t = task_of(*this, id);
      out.emplace_back(text_of(member(t.data(), "serial")),
                       text_of(member(t.data(), "username")));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto made = create(*this, task_body(usernames({"@user1", "user1"}), "post",
                                      "{}", later));
  BOOST_TEST((units_of(made)
              == std::vector<unit>{{"sim-0003", "@user1"},
                                   {"sim-0004", "user1"}}));
  // Multi-account mode: the enabled accounts of each serial, registered
  // ones included, disabled ones ("@off") skipped.
  made = create(*this, task_body(serials({"sim-0002", "sim-0003"}), "post",
                                 "{}", later + "," + multi_account));
  BOOST_TEST((units_of(made)
              == std::vector<unit>{{"sim-0002", "sim-0002-a"},
                                   {"sim-0002", "sim-0002-b"},
                                   {"sim-0003", "@user1"},
                                   {"sim-0003", "sim-0003-a"},
                                   {"sim-0003", "sim-0003-b"}}));
  put_account(*this, account_body("sim-0002-a", "sim-0002",
                                  R"("enabled":false)"));
  made = create(*this, task_body(serials({"sim-0002"}), "post", "{}",
                                 later + "," + multi_account));
  BOOST_TEST((units_of(made)
              == std::vector<unit>{{"sim-0002", "sim-0002-b"}}));
  // A disabled account, or a serial without an enabled one: nothing made.
  put_account(*this, account_body("sim-0002-b", "sim-0002",
                                  R"("enabled":false)"));
  auto before = count(stats_matching_list(*this), "total");
  BOOST_TEST(before == 8);
  check_errors(*this, {
    bad_create(task_body(usernames({"sim-0001-a", "@off"})), "@off"),
    bad_create(task_body(usernames({"sim-0002-a"})), "sim-0002-a"),
    bad_create(task_body(serials({"sim-0001", "sim-0002"}), "post", "{}",
                         multi_account),
               "sim-0002"),
  });
  BOOST_TEST(count(stats_matching_list(*this), "total") == before);
  // Enabled again, it is usable again.
  put_account(*this, account_body("@off", "sim-0001"));
  made = create(*this, task_body(usernames({"@off"}), "post", "{}", later));
  BOOST_TEST((units_of(made) == std::vector<unit>{{"sim-0001", "@off"}}));
}

BOOST_AUTO_TEST_CASE(an_account_runs_one_task_at_a_time) {
  api_server srv(options{{"sim.task-duration", "400ms"}});
  put_account(srv, account_body("@shared", "sim-0001"));
  auto first = create_one(srv, task_body(usernames({"@shared"})));
  // The account moves to another device while its first task is queued
  // or running there.
  put_account(srv, account_body("@shared", "sim-0002"));
  auto second = create_one(srv, task_body(usernames({"@shared"})));
  int64_t most_running = 0;
  BOOST_REQUIRE(wait_until(
    [&] {
      auto running = count(srv.get("/api/v1/task?status=1"), "total");
      most_running = std::max(most_running, running);
      return count(srv.get("/api/v1/task/stats"), "completed") == 2;
    },
    15s));
  BOOST_TEST(most_running <= 1);
  auto a = task_of(srv, first);
  auto b = task_of(srv, second);
  BOOST_TEST(text_of(member(a.data(), "serial")) == "sim-0001");
  BOOST_TEST(text_of(member(b.data(), "serial")) == "sim-0002");
  BOOST_TEST(text_of(member(b.data(), "username")) == "@shared");
  // The run that started second started after the other one ended.
  auto a_run = std::pair{ms_of(a, "started_at"), ms_of(a, "finished_at")};
  auto b_run = std::pair{ms_of(b, "started_at"), ms_of(b, "finished_at")};
  auto [earlier, later_run] = std::minmax(a_run, b_run);
  BOOST_TEST(later_run.first >= earlier.second,
             "a run from " << later_run.first << " overlaps one until "
                           << earlier.second);
  // Both wanted the account at once, or the test proved nothing.
  BOOST_WARN_MESSAGE(ms_of(b, "created_at") < earlier.second,
                     "the first run ended before the second task existed");
}

BOOST_AUTO_TEST_CASE(a_task_waiting_for_its_account_lets_others_pass) {
  api_server srv(options{{"sim.task-duration", "600ms"}});
  put_account(srv, account_body("@shared", "sim-0001"));
  auto first = create_one(srv, task_body(usernames({"@shared"})));
  BOOST_REQUIRE(reaches(srv, first, 1));
  put_account(srv, account_body("@shared", "sim-0002"));
  auto waiting = create_one(srv, task_body(usernames({"@shared"})));
  auto behind = create_one(srv, task_body(serials({"sim-0002"})));
  BOOST_REQUIRE(completes(srv, 3));
  auto a = task_of(srv, first);
  auto w = task_of(srv, waiting);
  auto b = task_of(srv, behind);
  BOOST_TEST(ms_of(w, "started_at") >= ms_of(a, "finished_at"));
  if (ms_of(b, "created_at") < ms_of(a, "finished_at")) {
    // sim-0002 was free, and its first task blocked: the next one ran.
    BOOST_TEST(ms_of(b, "started_at") < ms_of(a, "finished_at"),
               "task " << behind << " waited for an account it does not "
                                    "use");
    BOOST_TEST(ms_of(w, "started_at") >= ms_of(b, "finished_at"));
  } else {
    BOOST_WARN_MESSAGE(false, "the first run ended before the third task "
                              "existed");
  }
}

BOOST_AUTO_TEST_CASE(an_ended_run_frees_its_account_and_its_slot) {
  // What makes B and C wait while A runs: one account they share (moved
  // from device to device), or a device limit of 1.
  struct gate_case {
    std::string gate;
    options extra;
  };
  for (auto& c : {gate_case{"account", {}},
                  gate_case{"device limit", {{"license.device-limit", "1"}}}})
    BOOST_TEST_CONTEXT("gate: " << c.gate) {
      api_server srv(merged({{"sim.task-duration", "60s"}}, c.extra));
      auto make = [&](const std::string& serial) {
        if (c.gate != "account")
          return create_one(srv, task_body(serials({serial})));
        put_account(srv, account_body("@shared", serial));
        return create_one(srv, task_body(usernames({"@shared"})));
      };
      auto a = make("sim-0001");
      BOOST_REQUIRE(reaches(srv, a, 1));
      ids waiting{make("sim-0002"), make("sim-0003")};
      auto running_one = [&] {
        auto r = list(srv, "?status=1");
        auto running = listed_ids(r);
        return running.size() == 1 ? running.front() : 0;
      };
      BOOST_TEST(running_one() == a);
      BOOST_TEST(status_of(srv, waiting[0]) == 0);
      BOOST_TEST(status_of(srv, waiting[1]) == 0);
      // A stop hands the gate on; so does the delete of a running task.
      acted(srv, a, "stop");
      uint64_t next = 0;
      BOOST_REQUIRE(wait_until(
        [&] { return (next = running_one()) != 0 && next != a; }, 15s));
      check_ok(srv.del(task_path(next)));
      auto last = next == waiting[0] ? waiting[1] : waiting[0];
      BOOST_TEST(reaches(srv, last, 1));
    }
}

BOOST_FIXTURE_TEST_CASE(registered_accounts_survive_a_restart,
                        registered_accounts) {
  put_account(*this, account_body("sim-0001-a", "sim-0001",
                                  R"("enabled":false)"));
  put_account(*this, account_body("sim-0001-b", "sim-0002"));
  auto before = to_json(account_list(*this, "?page_size=100").data());
  kill();
  require_start();
  // The device host announced its accounts again; the operator's settings
  // stay.
  BOOST_TEST(to_json(account_list(*this, "?page_size=100").data())
             == before);
  check_error(post("/api/v1/task",
                   task_body(serials({"sim-0001"}), "post", "{}",
                             multi_account)),
              400, 40001, "sim-0001");
  auto made = create(*this, task_body(serials({"sim-0002"}), "post", "{}",
                                      later + "," + multi_account));
  std::vector<std::string> names;
  for (auto id : made)
    names.push_back(text_of(member(task_of(*this, id).data(), "username")));
  std::sort(names.begin(), names.end());
  BOOST_TEST(names == (std::vector<std::string>{"sim-0001-b", "sim-0002-a",
                                                "sim-0002-b"}));
}

// -- task log -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(task_log_of_the_last_run) {
  struct log_case {
    std::string failure_rate;
    int status;
    std::string last_line;
  };
  for (auto& c : {log_case{"0", 2, "completed"},
                  log_case{"1", 3, "failed: simulated failure"}})
    BOOST_TEST_CONTEXT("sim.failure-rate " << c.failure_rate) {
      api_server srv(options{{"sim.failure-rate", c.failure_rate}});
      auto id = create_one(srv, task_body(usernames({"sim-0001-a"})));
      BOOST_REQUIRE(reaches(srv, id, c.status));
      auto t = task_of(srv, id);
      auto lines = run_log_of(srv, id);
      BOOST_TEST(lines.size() >= 2u);
      BOOST_TEST(starts_with(lines.front().text,
                             "started on device sim-0001 as sim-0001-a"),
                 lines.front().text);
      BOOST_TEST(lines.back().text == c.last_line);
      BOOST_TEST(lines.front().at == ms_of(t, "started_at"));
      BOOST_TEST(lines.back().at == ms_of(t, "finished_at"));
      for (size_t i = 1; i < lines.size(); ++i)
        BOOST_TEST(lines[i - 1].at <= lines[i].at, "line " << i);
      // The offset of the server's zone, as in every time stamp.
      auto started = text_of(member(t.data(), "started_at"));
      for (auto& line : lines)
        BOOST_TEST(line.at_text.substr(23) == started.substr(23));
    }
}

BOOST_AUTO_TEST_CASE(task_log_of_a_run_ended_early) {
  struct end_case {
    std::string how;
    std::string remark;
  };
  for (auto& c : {end_case{"stop", "stopped by user"},
                  end_case{"restart", "interrupted by server restart"}})
    BOOST_TEST_CONTEXT("ended by " << c.how) {
      api_server srv(options{{"sim.task-duration", "60s"}});
      auto id = create_one(srv, task_body(serials({"sim-0001"})));
      BOOST_REQUIRE(reaches(srv, id, 1));
      // The start line is written when the run starts.
      auto lines = run_log_of(srv, id);
      BOOST_TEST(starts_with(lines.front().text, "started on device sim-0001"),
                 lines.front().text);
      if (c.how == "stop") {
        acted(srv, id, "stop");
      } else {
        srv.kill();
        srv.require_start();
      }
      auto t = task_of(srv, id);
      BOOST_TEST(int_of(member(t.data(), "status")) == 3);
      BOOST_TEST(text_of(member(t.data(), "remark")) == c.remark);
      lines = run_log_of(srv, id);
      BOOST_TEST(lines.front().at == ms_of(t, "started_at"));
      BOOST_TEST(lines.back().text == "failed: " + c.remark);
      BOOST_TEST(lines.back().at == ms_of(t, "finished_at"));
    }
}

BOOST_FIXTURE_TEST_CASE(task_log_without_a_run, api_server) {
  auto body = task_body(serials({"sim-0001"}), "post", "{}", later);
  auto waiting = create_one(*this, body);
  auto stopped = create_one(*this, body);
  acted(*this, stopped, "stop");
  for (auto id : {waiting, stopped})
    BOOST_TEST_CONTEXT("task " << id) {
      BOOST_TEST(log_of(*this, id).empty());
    }
  check_ok(del(task_path(waiting)));
  check_errors(*this, {
    {"GET", task_path(waiting, "log"), "", 404, 40401, ""},
    {"GET", "/api/v1/task/999999/log", "", 404, 40401, ""},
    {"GET", "/api/v1/task/abc/log", "", 400, 40001, "task_id"},
    {"GET", "/api/v1/task/0/log", "", 400, 40001, "task_id"},
    {"POST", task_path(stopped, "log"), "", 405, 40001, ""},
    {"DELETE", task_path(stopped, "log"), "", 405, 40001, ""},
  });
}

// -- scheduling ---------------------------------------------------------------

/// The server's zone is UTC whatever the machine's.
const options in_utc{{"tmx.timezone", "UTC"}};

BOOST_AUTO_TEST_CASE(start_time_clock_is_the_next_occurrence) {
  api_server srv(in_utc);
  constexpr int64_t minute = 60 * 1000;
  constexpr int64_t day = 24 * 60 * minute;
  auto this_minute = now_ms() / minute * minute;
  // (HH:MM, the instant it must resolve to): still ahead today (or just
  // after midnight), and just passed today, hence tomorrow.
  std::vector<std::pair<std::string, int64_t>> cases;
  for (auto due : {this_minute + 3 * minute, this_minute - 2 * minute + day})
    cases.emplace_back(iso_at(due).substr(11, 5), due);
  ids made;
  for (auto& [clock, due] : cases)
    BOOST_TEST_CONTEXT("start_time " << clock) {
      auto id = create_one(srv, task_body(serials({"sim-0001"}), "post", "{}",
                                          start_time(clock)));
      made.push_back(id);
      auto t = task_of(srv, id);
      BOOST_TEST(text_of(member(t.data(), "scheduled_at")) == iso_at(due));
      BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    }
  // Not due: they stay out of the device queue while other work runs.
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued")) == 0);
  auto now = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(srv, now, 2));
  for (auto id : made) {
    auto t = task_of(srv, id);
    BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    BOOST_TEST(member(t.data(), "started_at").IsNull());
  }
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued")) == 0);
  auto pending = list(srv, "?status=0");
  BOOST_TEST(count(pending, "total") == 2);
}

BOOST_AUTO_TEST_CASE(start_time_instant_runs_at_it) {
  api_server srv(in_utc);
  auto ahead = now_ms() + 2000;
  auto past = now_ms() - 3600 * 1000;
  // Given in other zones than the server's; scheduled_at comes in its own.
  auto due_ahead = [&](const std::string& serial) {
    return create_one(srv, task_body(serials({serial}), "post", "{}",
                                     start_time(iso_at(ahead, 120))));
  };
  auto soon = due_ahead("sim-0001");
  auto early = due_ahead("sim-0003");  // stopped and retried before it
  auto missed = due_ahead("sim-0004"); // stopped, retried after it
  auto seen = srv.get(task_path(soon));
  if (now_ms() < ahead) { // the answer came before the due time
    BOOST_TEST(int_of(member(seen.data(), "status")) == 0);
  }
  BOOST_TEST(text_of(member(seen.data(), "scheduled_at")) == iso_at(ahead));
  acted(srv, early, "stop");
  acted(srv, missed, "stop");
  auto retried = acted(srv, early, "retry");
  if (now_ms() < ahead) {
    BOOST_TEST(ms_of(retried, "scheduled_at") == ahead);
  }
  auto overdue = create_one(srv, task_body(serials({"sim-0002"}), "post",
                                           "{}",
                                           start_time(iso_at(past, -210))));
  // Due in the past: runs at once, well before the others are due.
  BOOST_REQUIRE(reaches(srv, overdue, 2));
  auto o = task_of(srv, overdue);
  BOOST_TEST(ms_of(o, "started_at") < ahead);
  auto completed = [](auto& t) { return int_of(member(t, "status")) == 2; };
  for (auto id : {soon, early})
    BOOST_TEST_CONTEXT("task " << id) {
      auto s = task_when(srv, id, completed);
      BOOST_TEST(ms_of(s, "started_at") >= ahead);
      // "within a second of its due time", with room for a loaded machine
      BOOST_TEST(ms_of(s, "started_at") <= ahead + 5000);
    }
  BOOST_TEST(ms_of(task_of(srv, soon), "scheduled_at") == ahead);
  // A retry after the due time runs at once.
  auto retried_at = now_ms();
  acted(srv, missed, "retry");
  auto m = task_when(srv, missed, completed);
  BOOST_TEST(ms_of(m, "started_at") >= retried_at - 1);
  BOOST_TEST(ms_of(m, "started_at") <= retried_at + 5000);
}

BOOST_AUTO_TEST_CASE(intervals_stagger_the_tasks) {
  api_server srv(in_utc);
  constexpr int64_t minute = 60 * 1000;
  struct interval_case {
    std::string body;
    std::vector<std::string> order; // serial/target of each task, in order
    int64_t base;                   // due time of the first; 0: created_at
    std::set<int64_t> gaps;         // allowed gaps between two tasks, in ms
  };
  // Serials in the order given, not sorted; follow: each device's targets.
  auto three = serials({"sim-0003", "sim-0001", "sim-0002"});
  std::vector<std::string> three_order{"sim-0003/", "sim-0001/",
                                       "sim-0002/"};
  auto post = [&](const std::string& extra) {
    return task_body(three, "post", "{}", extra);
  };
  auto base = ms_of(parse_json(R"("2090-01-01T00:00:00.000+00:00")"));
  std::vector<interval_case> cases{
    {post(later + R"(,"min_interval":1,"max_interval":1)"), three_order, base,
     {minute}},
    {post(R"("min_interval":1,"max_interval":1)"), three_order, 0, {minute}},
    {post(later + R"(,"min_interval":0,"max_interval":2)"), three_order,
     base, {0, minute, 2 * minute}},
    {post(later + R"(,"min_interval":0,"max_interval":0)"), three_order,
     base, {0}},
    {task_body(serials({"sim-0002", "sim-0001"}), "follow",
               R"({"target_users":["u2","u1"]})",
               later + R"(,"min_interval":1,"max_interval":1)"),
     {"sim-0002/u2", "sim-0002/u1", "sim-0001/u2", "sim-0001/u1"}, base,
     {minute}},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      auto made = create(srv, c.body);
      BOOST_REQUIRE_EQUAL(made.size(), c.order.size());
      std::vector<reply> tasks;
      std::vector<std::string> order;
      for (auto id : made) {
        tasks.push_back(task_of(srv, id));
        auto& t = tasks.back().data();
        auto& targets = member(member(t, "script_config"), "target_users");
        order.push_back(text_of(member(t, "serial")) + "/"
                        + (targets.IsArray() && targets.Size() > 0
                             ? text_of(targets[0])
                             : ""));
      }
      BOOST_TEST(order == c.order);
      auto previous = c.base != 0 ? c.base : ms_of(tasks[0], "created_at");
      // The first is due at the base time: null for "now".
      auto& first = member(tasks[0].data(), "scheduled_at");
      BOOST_TEST((c.base != 0 ? ms_of(first) == c.base
                              : (first.IsNull() || ms_of(first) <= previous)),
                 to_json(first));
      for (size_t i = 1; i < tasks.size(); ++i) {
        auto due = ms_of(tasks[i], "scheduled_at");
        BOOST_TEST(c.gaps.count(due - previous) == 1u,
                   "task " << i << " due " << due - previous
                           << " ms after the one before");
        previous = due;
      }
      for (auto id : made)
        acted(srv, id, "stop");
    }
}

BOOST_FIXTURE_TEST_CASE(schedule_errors_store_nothing, api_server) {
  auto one = serials({"sim-0001"});
  std::vector<error_case> cases;
  for (auto [extra, names] : std::vector<std::pair<std::string, std::string>>{
         {R"("min_interval":2,"max_interval":1)", "min_interval"},
         {R"("min_interval":1)", "min_interval"},
         {R"("max_interval":-1)", "max_interval"},
         {R"("min_interval":"1","max_interval":2)", "min_interval"},
         {R"("min_interval":0.5,"max_interval":2)", "min_interval"},
         {R"("max_interval":true)", "max_interval"},
         {start_time("24:00"), "start_time"},
         {start_time("12:60"), "start_time"},
         {start_time("1200"), "start_time"},
         {start_time("12:5"), "start_time"},
         {start_time("noon"), "start_time"},
         {start_time("2090-01-01T00:00:00"), "start_time"},
         {start_time("2090-02-30T00:00:00+00:00"), "start_time"},
         {start_time("2090-01-01T00:00:00+0100"), "start_time"},
         {R"("start_time":1230)", "start_time"},
       })
    cases.push_back(bad_create(task_body(one, "post", "{}", extra), names));
  check_errors(*this, cases);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

// -- retries and timeouts -----------------------------------------------------

BOOST_AUTO_TEST_CASE(failed_runs_are_retried_automatically) {
  api_server srv(options{{"sim.failure-rate", "1"},
                         {"retry.max-auto", "2"},
                         {"retry.delay-min", "100ms"},
                         {"retry.delay-max", "200ms"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"})));
  // Every state seen on the way: between runs the task waits, pending,
  // with its error and the time of its next run.
  int waits_seen = 0;
  auto done = task_when(srv, id, [&](auto& t) {
    auto retries = int_of(member(t, "retry_count"));
    auto status = int_of(member(t, "status"));
    BOOST_TEST(retries <= 2);
    if (retries > 0 && status != 3) {
      BOOST_TEST(text_of(member(t, "remark")) == "simulated failure");
    }
    if (retries > 0 && status == 0) { // due 100-200 ms after the failure
      ++waits_seen;
      auto delay = ms_of(member(t, "scheduled_at"))
                   - ms_of(member(t, "finished_at"));
      BOOST_TEST((delay >= 100 && delay <= 200), "delay " << delay << " ms");
    }
    return status == 3 && retries == 2;
  });
  BOOST_WARN_MESSAGE(waits_seen > 0, "no wait between runs was seen");
  BOOST_TEST(text_of(member(done.data(), "remark")) == "simulated failure");
  BOOST_TEST(run_log_of(srv, id).back().text == "failed: simulated failure");
  // Out of automatic retries; a manual one is still allowed.
  auto retried = acted(srv, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "status")) == 0);
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 3);
  auto started = text_of(member(done.data(), "started_at"));
  auto again = task_when(srv, id, [&](auto& t) {
    return int_of(member(t, "status")) == 3
           && text_of(member(t, "started_at")) != started;
  });
  BOOST_TEST(int_of(member(again.data(), "retry_count")) == 3);
  BOOST_TEST(text_of(member(again.data(), "remark")) == "simulated failure");
  // The log holds the last run only.
  auto lines = run_log_of(srv, id);
  BOOST_TEST(lines.front().at == ms_of(again, "started_at"));
  BOOST_TEST(lines.back().text == "failed: simulated failure");
  BOOST_TEST(std::count_if(lines.begin(), lines.end(), [](auto& line) {
               return starts_with(line.text, "started on");
             }) == 1);
}

BOOST_AUTO_TEST_CASE(runs_longer_than_the_timeout_fail) {
  api_server srv(options{{"runner.timeout-scale", "0.001"},
                         {"sim.task-duration", "2s"}});
  struct timeout_case {
    std::string serial;
    std::string script;
    std::string config;
    double timeout_s; // the script's timeout x 0.001
  };
  std::vector<timeout_case> cases{
    {"sim-0001", "post", R"({"upload_wait_time":0,"sound_wait_time":0})",
     0.3},
    {"sim-0002", "post", "{}", 0.34}, // 30 + 10 + 300 s
    {"sim-0003", "account_warmup", R"({"task_duration":0})", 0.12},
    {"sim-0004", "follow", R"({"target_users":["x"]})", 0.6},
  };
  std::vector<uint64_t> made;
  for (auto& c : cases)
    made.push_back(
      create_one(srv, task_body(serials({c.serial}), c.script, c.config)));
  for (size_t i = 0; i < cases.size(); ++i)
    BOOST_TEST_CONTEXT(cases[i].script << ' ' << cases[i].config) {
      auto& c = cases[i];
      BOOST_REQUIRE(reaches(srv, made[i], 3));
      auto t = task_of(srv, made[i]);
      std::ostringstream remark;
      remark << "timeout after " << c.timeout_s << " s";
      BOOST_TEST(text_of(member(t.data(), "remark")) == remark.str());
      auto& took = member(t.data(), "duration_s");
      auto duration = took.IsNumber() ? took.GetDouble() : -1;
      BOOST_TEST(duration >= c.timeout_s - 0.01);
      BOOST_TEST(duration < c.timeout_s + 0.7); // the run itself takes 2 s
      BOOST_TEST(int_of(member(t.data(), "retry_count")) == 0);
      BOOST_TEST(run_log_of(srv, made[i]).back().text
                 == "failed: " + remark.str());
    }
}

BOOST_AUTO_TEST_CASE(stops_and_restarts_are_not_retried_automatically) {
  api_server srv(options{{"retry.max-auto", "1"},
                         {"retry.delay-min", "100ms"},
                         {"retry.delay-max", "100ms"},
                         {"runner.timeout-scale", "0.001"},
                         {"sim.task-duration", "60s"}});
  // (100000 + 120 s) x 0.001: a run of 100 s
  auto long_run = R"({"task_duration":100000})";
  auto interrupted = create_one(srv, task_body(serials({"sim-0003"}),
                                               "account_warmup", long_run));
  BOOST_REQUIRE(reaches(srv, interrupted, 1));
  srv.kill();
  srv.require_start();
  auto stopped = create_one(srv, task_body(serials({"sim-0002"}),
                                           "account_warmup", long_run));
  BOOST_REQUIRE(reaches(srv, stopped, 1));
  acted(srv, stopped, "stop");
  // A timeout is retried once, 100 ms later, and times out again: time
  // enough for the others to have been retried, were they.
  auto timed_out = create_one(
    srv, task_body(serials({"sim-0001"}), "post",
                   R"({"upload_wait_time":0,"sound_wait_time":0})"));
  auto t = task_when(srv, timed_out, [](auto& t) {
    return int_of(member(t, "status")) == 3
           && int_of(member(t, "retry_count")) == 1;
  });
  BOOST_TEST(text_of(member(t.data(), "remark")) == "timeout after 0.3 s");
  for (auto [id, remark] : {std::pair{interrupted,
                                      "interrupted by server restart"},
                            std::pair{stopped, "stopped by user"}})
    BOOST_TEST_CONTEXT("task " << id) {
      auto r = task_of(srv, id);
      BOOST_TEST(int_of(member(r.data(), "status")) == 3);
      BOOST_TEST(int_of(member(r.data(), "retry_count")) == 0);
      BOOST_TEST(text_of(member(r.data(), "remark")) == remark);
    }
}

// -- source -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(source_header_marks_ui_tasks, api_server) {
  for (auto [extra, source] : std::vector<std::pair<headers, std::string>>{
         {{}, "api"},
         {from_ui, "ui"},
         {{{"X-Tmx-Source", "api"}}, "api"},
         {{{"X-Tmx-Source", "dashboard"}}, "api"},
       })
    BOOST_TEST_CONTEXT("X-Tmx-Source " << source) {
      auto id = create_one(*this, task_body(serials({"sim-0001"}), "post",
                                            "{}", later),
                           extra);
      auto t = task_of(*this, id);
      BOOST_TEST(text_of(member(t.data(), "source")) == source);
      auto listed = listed_ids(list(*this, "?source=" + source));
      BOOST_TEST(std::count(listed.begin(), listed.end(), id) == 1);
    }
}

// -- process ------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(sigterm_keeps_every_task, mixed_tasks) {
  // The newest id is deleted: a restart must not hand it out again.
  check_ok(del(task_path(c1)));
  auto before = to_json(all_tasks().data());
  auto stats = to_json(stats_matching_list(*this).data());
  BOOST_TEST(terminate() == 0);
  require_start();
  BOOST_TEST(to_json(all_tasks().data()) == before);
  BOOST_TEST(to_json(stats_matching_list(*this).data()) == stats);
  BOOST_TEST(create_one(*this, task_body(serials({"sim-0001"}))) > c1);
}

BOOST_AUTO_TEST_CASE(timezone_option_sets_the_offset) {
  // Asia/Kolkata: +05:30 all year, unlike the zone the tests run in.
  api_server srv(options{{"tmx.timezone", "Asia/Kolkata"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"}), "post", "{}",
                                      R"("start_time":"23:59")"));
  auto t = task_of(srv, id);
  auto created = text_of(member(t.data(), "created_at"));
  auto due = text_of(member(t.data(), "scheduled_at"));
  BOOST_TEST(created.substr(created.size() - 6) == "+05:30");
  BOOST_TEST(due.find("T23:59:00.000+05:30") != std::string::npos, due);
}

BOOST_AUTO_TEST_CASE(bad_options_stop_the_server) {
  struct option_case {
    std::string key;
    std::string value;
    std::string config_file; // when set: the options come from this file
    options more = {};       // given with key=value
  };
  std::vector<option_case> cases{
    {"sim.failure-rate", "2", ""},
    {"http.port", "0", ""},
    {"license.plan", "Gold", ""},
    {"sim.task-duration", "abc", ""},
    {"sim.devices", "-1", ""},
    {"http.port", "", "[http]\nport=\"abc\"\n"},
    {"tmx.timezone", "Nowhere/City", ""},
    {"tmx.timezone", "../zoneinfo/UTC", ""},
    {"retry.max-auto", "-1", ""},
    {"retry.delay-min", "abc", ""},
    {"retry.delay-min", "2s", "", {{"retry.delay-max", "1s"}}},
    {"runner.timeout-scale", "0", ""},
    {"license.device-limit", "-1", ""},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.key << '=' << c.value << c.config_file) {
      server_process srv(base_options);
      auto extra = merged({{c.key, c.value}}, c.more);
      if (!c.config_file.empty()) {
        auto path = srv.dir() / "bad.ini";
        std::ofstream(path) << c.config_file;
        // No port on the command line, which would win over the file; and
        // should the server ignore the file, it must not take the default
        // port of a real server on 127.0.0.1.
        extra = {{"config-file", path.string()},
                 {"http.port", ""},
                 {"http.address", "127.0.0.2"}};
      }
      srv.launch(extra);
      auto status = srv.wait_exit(10s);
      BOOST_TEST(status.has_value(), "still running after 10 s");
      BOOST_TEST(status.value_or(0) != 0);
      auto log = srv.log();
      BOOST_TEST(log.find(c.key) != std::string::npos, "log: " << log);
    }
}

BOOST_FIXTURE_TEST_CASE(occupied_port_stops_the_server, api_server) {
  server_process second(base_options);
  second.launch({{"http.port", std::to_string(port())}});
  auto status = second.wait_exit(10s);
  BOOST_TEST(status.has_value(), "still running after 10 s");
  BOOST_TEST(status.value_or(0) != 0);
  BOOST_TEST(second.log().find(std::to_string(port())) != std::string::npos,
             "log: " << second.log());
  BOOST_TEST(answers());
}

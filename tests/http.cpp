// Black-box tests of the HTTP API (CONTRACT.md) against a real tmx-server
// process: every endpoint, every error code, options and SIGTERM.
#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include "tests/server_process.hpp"

#include <algorithm>
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
  BOOST_REQUIRE(wait_until(
    [&] { return count(srv.get("/api/v1/task/stats"), "completed") == 4; },
    30s));
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
  };
  std::vector<option_case> cases{
    {"sim.failure-rate", "2", ""},
    {"http.port", "0", ""},
    {"license.plan", "Gold", ""},
    {"sim.task-duration", "abc", ""},
    {"sim.devices", "-1", ""},
    {"http.port", "", "[http]\nport=\"abc\"\n"},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.key << '=' << c.value << c.config_file) {
      server_process srv(base_options);
      options extra{{c.key, c.value}};
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

// Fixtures of the HTTP API black-box tests: a running server, request
// bodies, the requests the tests make and check, and servers prepared
// with tasks.
#pragma once

#include "tests/http/checks.hpp"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <string>
#include <tuple>
#include <vector>

namespace tmx::test {

using ids = std::vector<uint64_t>;

inline const options base_options{{"sim.devices", "4"},
                                  {"sim.task-duration", "300ms"}};

/// Due far in the future: such a task stays pending for the whole test.
inline const std::string later = R"("start_time":"2090-01-01T00:00:00+00:00")";

inline const headers from_ui{{"X-Tmx-Source", "ui"}};

inline const std::string multi_account = R"("enable_multi_account":true)";

/// A running server with the base options plus `extra`.
struct api_server : server_process {
  explicit api_server(const options& extra = {})
    : server_process(merged(base_options, extra)) {
    require_start();
  }
};

// -- request bodies -----------------------------------------------------------

inline std::string serials(const std::vector<std::string>& names) {
  return "\"serials\":" + json_strings(names);
}

inline std::string usernames(const std::vector<std::string>& names) {
  return "\"usernames\":" + json_strings(names);
}

/// A create body: `targets` is serials(...) or usernames(...), `extra` more
/// members such as `later`.
inline std::string task_body(const std::string& targets,
                             const std::string& script = "post",
                             const std::string& config = "{}",
                             const std::string& extra = "") {
  return "{" + targets + ",\"script_name\":\"" + script
         + "\",\"script_config\":" + config + (extra.empty() ? "" : "," + extra)
         + "}";
}

inline std::string batch_body(const ids& task_ids) {
  std::string out = "{\"task_ids\":[";
  for (size_t i = 0; i < task_ids.size(); ++i)
    out += (i > 0 ? "," : "") + std::to_string(task_ids[i]);
  return out + "]}";
}

inline std::string task_path(uint64_t id, const std::string& action = "") {
  return "/api/v1/task/" + std::to_string(id)
         + (action.empty() ? "" : "/" + action);
}

// -- requests -----------------------------------------------------------------

inline ids create(const server_process& srv, const std::string& body,
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

inline uint64_t create_one(const server_process& srv, const std::string& body,
                           const headers& extra = {}) {
  auto out = create(srv, body, extra);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  return out.front();
}

/// GET /api/v1/task/{id}, checked to be a well-formed task.
inline reply task_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id));
  check_ok(r);
  check_task(r.data());
  BOOST_TEST(id_of(member(r.data(), "id")) == id);
  return r;
}

/// A created task as a fan-out test sees it: serial, username and the one
/// item of its target list ("" when its config has none).
using fan_out_unit = std::tuple<std::string, std::string, std::string>;

/// Creates `body` and checks that its tasks are `expected`, in any order:
/// each config holds at most one item of `list` and none of `dropped` (the
/// one-value spellings the fan-out folded in); `also` checks each config
/// further.
inline void
check_fan_out(const server_process& srv, const std::string& body,
              std::vector<fan_out_unit> expected, const char* list,
              std::initializer_list<const char*> dropped,
              const std::function<void(const rapidjson::Value&)>& also = {}) {
  std::vector<fan_out_unit> got;
  for (auto id : create(srv, body)) {
    auto r = task_of(srv, id);
    auto& config = member(r.data(), "script_config");
    for (auto* name : dropped)
      BOOST_TEST(!config.HasMember(name), name);
    if (also)
      also(config);
    auto& items = member(config, list);
    std::string item;
    if (items.IsArray()) {
      BOOST_TEST(items.Size() == 1u);
      item = text_of(items[0]);
    }
    got.emplace_back(text_of(member(r.data(), "serial")),
                     text_of(member(r.data(), "username")), item);
  }
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST((got == expected));
}

inline int status_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id));
  return static_cast<int>(int_of(member(r.data(), "status")));
}

inline bool reaches(const server_process& srv, uint64_t id, int status) {
  return wait_until([&] { return status_of(srv, id) == status; }, 15s);
}

inline reply action(const server_process& srv, uint64_t id,
                    const std::string& what) {
  return srv.post(task_path(id, what));
}

/// A stop or retry that must succeed; the task after it.
inline reply acted(const server_process& srv, uint64_t id,
                   const std::string& what) {
  auto r = action(srv, id, what);
  check_ok(r);
  check_task(r.data());
  return r;
}

inline reply list(const server_process& srv, const std::string& query = "") {
  auto r = srv.get("/api/v1/task" + query);
  check_ok(r);
  BOOST_REQUIRE(member(r.data(), "tasks").IsArray());
  for (auto& t : member(r.data(), "tasks").GetArray())
    check_task(t);
  return r;
}

inline int64_t count(const reply& r, const char* name) {
  return int_of(member(r.data(), name));
}

inline ids listed_ids(const reply& r) {
  ids out;
  for (auto& t : member(r.data(), "tasks").GetArray())
    out.push_back(id_of(member(t, "id")));
  return out;
}

/// The stats, checked against the list totals per status.
inline reply stats_matching_list(const server_process& srv) {
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
inline rapidjson::Document device_named(const server_process& srv,
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
inline bool device_is(const server_process& srv, const std::string& serial,
                      const std::string& state, uint64_t task) {
  auto d = device_named(srv, serial);
  auto& running = member(d, "running_task_id");
  return text_of(member(d, "state")) == state
         && (task == 0 ? running.IsNull() : id_of(running) == task);
}

inline std::string post_body(size_t captions_bytes) {
  return task_body(serials({"sim-0001"}), "post",
                   "{\"captions\":\"" + std::string(captions_bytes, 'x')
                     + "\"}");
}

// -- accounts -----------------------------------------------------------------

inline std::string account_body(const std::string& username,
                                const std::string& serial,
                                const std::string& extra = "") {
  return "{\"username\":\"" + username + "\",\"serial\":\"" + serial + "\""
         + (extra.empty() ? "" : "," + extra) + "}";
}

/// The account object as the API must write it.
inline std::string account_json(const std::string& username,
                                const std::string& serial,
                                const std::string& platform = "tiktok",
                                bool enabled = true) {
  return "{\"username\":\"" + username + "\",\"serial\":\"" + serial
         + "\",\"platform\":\"" + platform
         + "\",\"enabled\":" + (enabled ? "true" : "false") + "}";
}

inline const std::vector<field_kind> account_fields{{"username", string_json},
                                                    {"serial", string_json},
                                                    {"platform", string_json},
                                                    {"enabled", bool_json}};

/// POST /api/v1/account that must succeed; the account replied.
inline reply put_account(const server_process& srv, const std::string& body) {
  auto r = srv.post("/api/v1/account", body);
  check_ok(r);
  check_fields(r.data(), account_fields);
  BOOST_TEST(r.data().MemberCount() == account_fields.size());
  return r;
}

/// GET /api/v1/account with `query`, checked to be well-formed.
inline reply account_list(const server_process& srv,
                          const std::string& query = "") {
  auto r = srv.get("/api/v1/account" + query);
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 4u);
  BOOST_REQUIRE(member(r.data(), "accounts").IsArray());
  for (auto& a : member(r.data(), "accounts").GetArray())
    check_fields(a, account_fields);
  return r;
}

inline std::vector<std::string> listed_usernames(const reply& r) {
  std::vector<std::string> out;
  for (auto& a : member(r.data(), "accounts").GetArray())
    out.push_back(text_of(member(a, "username")));
  return out;
}

/// The simulated accounts of devices sim-0001 to sim-000`devices`.
inline std::vector<std::string> sim_accounts(int devices) {
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
inline std::vector<log_line> log_of(const server_process& srv, uint64_t id) {
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
inline std::vector<log_line> run_log_of(const server_process& srv,
                                        uint64_t id) {
  auto out = log_of(srv, id);
  BOOST_REQUIRE_MESSAGE(!out.empty(), "task " << id << " has no log");
  return out;
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// Whether `n` tasks complete in time.
inline bool completes(const server_process& srv, int64_t n) {
  return wait_until(
    [&] { return count(srv.get("/api/v1/task/stats"), "completed") == n; },
    30s);
}

/// The task once `pred` holds for it (a failed test when it never does).
template <class Predicate>
inline reply task_when(const server_process& srv, uint64_t id, Predicate pred,
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

// -- servers with tasks -----------------------------------------------------

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

  reply all_tasks() { return list(*this, "?page_size=100"); }
};

} // namespace tmx::test

// HTTP API tests of device groups: POST/GET/DELETE /api/v1/group, creates
// with "groups", the devices' groups, and groups across a restart.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>
#include <vector>

using namespace tmx::test;

namespace {

using strings = std::vector<std::string>;

inline const std::vector<field_kind> group_fields{{"name", string_json},
                                                  {"serials", array_json},
                                                  {"created_at", time_json}};

std::string group_body(const std::string& name, const strings& serials) {
  return "{\"name\":\"" + name + "\",\"serials\":" + json_strings(serials)
         + "}";
}

std::string groups(const strings& names) {
  return "\"groups\":" + json_strings(names);
}

/// POST /api/v1/group that must succeed; the group replied.
reply put_group(const server_process& srv, const std::string& body) {
  auto r = srv.post("/api/v1/group", body);
  check_ok(r);
  check_fields(r.data(), group_fields);
  BOOST_TEST(r.data().MemberCount() == group_fields.size());
  return r;
}

/// GET /api/v1/group, checked to be well-formed.
reply group_list(const server_process& srv) {
  auto r = srv.get("/api/v1/group");
  check_ok(r);
  BOOST_TEST(r.data().MemberCount() == 1u);
  BOOST_REQUIRE(member(r.data(), "groups").IsArray());
  for (auto& g : member(r.data(), "groups").GetArray()) {
    check_fields(g, group_fields);
    BOOST_TEST(g.MemberCount() == group_fields.size());
  }
  return r;
}

/// `name:serial,serial;` per listed group, in the order listed.
std::string listed_groups(const server_process& srv) {
  std::string out;
  auto r = group_list(srv);
  for (auto& g : member(r.data(), "groups").GetArray()) {
    out += text_of(member(g, "name")) + ":";
    for (auto& s : member(g, "serials").GetArray())
      out += text_of(s) + ",";
    out += ";";
  }
  return out;
}

strings strings_of(const rapidjson::Value& v) {
  strings out;
  for (auto& s : v.GetArray())
    out.push_back(text_of(s));
  return out;
}

strings device_groups(const server_process& srv, const std::string& serial) {
  return strings_of(member(device_named(srv, serial), "groups"));
}

/// The serial and username ("" for none) of each task, in id order.
strings targets_of(const server_process& srv, const ids& list) {
  strings out;
  for (auto id : list) {
    auto t = task_of(srv, id);
    out.push_back(text_of(member(t.data(), "serial")) + "/"
                  + text_of(member(t.data(), "username")));
  }
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(group_create_replace_list_and_delete, api_server) {
  auto r = put_group(*this, group_body("shop b", {"sim-0002", "sim-0001"}));
  BOOST_TEST(text_of(member(r.data(), "name")) == "shop b");
  BOOST_TEST(strings_of(member(r.data(), "serials"))
             == (strings{"sim-0002", "sim-0001"}));
  auto created = text_of(member(r.data(), "created_at"));
  BOOST_TEST(std::abs(ms_of(member(r.data(), "created_at")) - now_ms())
             < 60'000);
  put_group(*this, group_body("@shop", {"sim-0003"}));
  BOOST_TEST(listed_groups(*this)
             == "@shop:sim-0003,;shop b:sim-0002,sim-0001,;");
  // Replaced as a whole; unknown fields ignored; created when it was.
  r = put_group(*this, R"({"name":"shop b","serials":["sim-0004"],"x":1})");
  BOOST_TEST(text_of(member(r.data(), "created_at")) == created);
  BOOST_TEST(listed_groups(*this) == "@shop:sim-0003,;shop b:sim-0004,;");
  // Names are path segments taken raw or percent-decoded.
  r = del("/api/v1/group/shop%20b");
  check_ok(r);
  BOOST_TEST(to_json(r.data()) == R"({"deleted_count":1})");
  check_ok(del("/api/v1/group/@shop"));
  BOOST_TEST(listed_groups(*this).empty());
  put_group(*this, group_body("@shop", {"sim-0003"}));
  check_ok(del("/api/v1/group/%40shop"));
  check_errors(*this, {{"DELETE", "/api/v1/group/%40shop", "", 404, 40401,
                        "no such group"}});
}

BOOST_FIXTURE_TEST_CASE(group_errors_store_nothing, api_server) {
  auto bad = [](const std::string& body, const std::string& names) {
    return error_case{"POST", "/api/v1/group", body, 400, 40001, names};
  };
  check_errors(
    *this, {
             bad("", "JSON"),
             bad("[]", "body must be a JSON object"),
             bad(R"({"serials":["sim-0001"]})", "name"),
             bad(R"({"name":"","serials":["sim-0001"]})", "name"),
             bad(group_body(std::string(65, 'x'), {"sim-0001"}), "name"),
             bad(R"({"name":"g"})", "serials"),
             bad(R"({"name":"g","serials":[]})", "serials"),
             bad(R"({"name":"g","serials":[7]})", "serials[0]"),
             bad(group_body("g", {"sim-0001", "sim-0001"}),
                 "serials lists 'sim-0001' twice"),
             bad(group_body("g", {"sim-0001", "nope", "sim-9999"}),
                 "serials: unknown devices 'nope', 'sim-9999'"),
             bad(group_body("g", {"nope"}), "serials: unknown device 'nope'"),
             {"PUT", "/api/v1/group", "{}", 405, 40001, "method"},
             {"GET", "/api/v1/group/g", "", 405, 40001, "method"},
             {"DELETE", "/api/v1/group/%zz", "", 400, 40001, "name"},
             {"DELETE", "/api/v1/group/nope", "", 404, 40401, "no such group"},
           });
  BOOST_TEST(listed_groups(*this).empty());
}

BOOST_FIXTURE_TEST_CASE(create_with_groups_makes_each_serial_once, api_server) {
  put_group(*this, group_body("g1", {"sim-0002", "sim-0001"}));
  put_group(*this, group_body("g2", {"sim-0003", "sim-0002"}));
  // The groups in the order given, each group's serials in its order, a
  // serial in both groups once.
  auto made = create(*this,
                     task_body(groups({"g2", "g1"}), "post", "{}", later));
  BOOST_TEST(targets_of(*this, made)
             == (strings{"sim-0003/", "sim-0002/", "sim-0001/"}));
  // Multi-account: each serial's enabled accounts.
  made = create(*this, task_body(groups({"g1"}), "post", "{}",
                                 later + "," + multi_account));
  BOOST_TEST(targets_of(*this, made)
             == (strings{"sim-0002/sim-0002-a", "sim-0002/sim-0002-b",
                         "sim-0001/sim-0001-a", "sim-0001/sim-0001-b"}));
  // follow fans out per target per serial.
  made = create(*this, task_body(groups({"g1"}), "follow",
                                 R"({"target_users":["x","y"]})", later));
  BOOST_TEST(made.size() == 4u);
  auto total = count(list(*this), "total");
  check_errors(
    *this,
    {
      bad_create(task_body(groups({"g1", "nope"})),
                 "groups: unknown group 'nope'"),
      bad_create(task_body(groups({})), "groups"),
      bad_create(task_body(groups({"g1", "g1"})), "groups lists 'g1' twice"),
      bad_create(task_body(serials({"sim-0001"}) + "," + groups({"g1"})),
                 "exactly one of serials, usernames or groups"),
      bad_create(task_body(usernames({"sim-0001-a"}) + "," + groups({"g1"})),
                 "exactly one of serials, usernames or groups"),
    });
  BOOST_TEST(count(list(*this), "total") == total);
}

BOOST_FIXTURE_TEST_CASE(devices_show_their_groups, api_server) {
  BOOST_TEST(device_groups(*this, "sim-0001").empty());
  put_group(*this, group_body("b", {"sim-0001", "sim-0002"}));
  put_group(*this, group_body("a", {"sim-0001"}));
  BOOST_TEST(device_groups(*this, "sim-0001") == (strings{"a", "b"}));
  BOOST_TEST(device_groups(*this, "sim-0002") == (strings{"b"}));
  BOOST_TEST(device_groups(*this, "sim-0003").empty());
  put_group(*this, group_body("b", {"sim-0003"}));
  check_ok(del("/api/v1/group/a"));
  BOOST_TEST(device_groups(*this, "sim-0001").empty());
  BOOST_TEST(device_groups(*this, "sim-0003") == (strings{"b"}));
}

BOOST_FIXTURE_TEST_CASE(groups_survive_a_restart, api_server) {
  auto r = put_group(*this, group_body("g", {"sim-0004", "sim-0001"}));
  auto before = to_json(r.data());
  put_group(*this, group_body("gone", {"sim-0002"}));
  check_ok(del("/api/v1/group/gone"));
  restart();
  auto all = group_list(*this);
  BOOST_TEST(to_json(member(all.data(), "groups")) == "[" + before + "]");
  BOOST_TEST(device_groups(*this, "sim-0004") == (strings{"g"}));
  auto made = create(*this, task_body(groups({"g"}), "post", "{}", later));
  BOOST_TEST(targets_of(*this, made) == (strings{"sim-0004/", "sim-0001/"}));
}

BOOST_FIXTURE_TEST_CASE(a_deleted_group_leaves_its_tasks, api_server) {
  put_group(*this, group_body("g", {"sim-0001", "sim-0002"}));
  auto waiting = create(*this, task_body(groups({"g"}), "post", "{}", later));
  auto ran = create(*this, task_body(groups({"g"})));
  check_ok(del("/api/v1/group/g"));
  BOOST_TEST(completes(*this, 2));
  for (auto id : waiting)
    BOOST_TEST(status_of(*this, id) == 0);
  BOOST_TEST(targets_of(*this, ran) == (strings{"sim-0001/", "sim-0002/"}));
  check_errors(*this, {bad_create(task_body(groups({"g"})),
                                  "groups: unknown group 'g'")});
  BOOST_TEST(count(list(*this), "total") == 4);
}

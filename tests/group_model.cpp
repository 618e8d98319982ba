// Device groups without actors: the POST /api/v1/group body
// (model/group_request), the registry and the serials of a create in group
// mode (model/group), the create body's `groups` (model/create_request),
// the plan's errors in group mode, and the store's group records
// (storage/groups.cpp): round trip, replace, erase, reopen, check.
#define BOOST_TEST_MODULE group_model
#include <boost/test/unit_test.hpp>

#include "model/create_request.hpp"
#include "model/group_request.hpp"
#include "model/task_plan.hpp"
#include "storage/codec.hpp"
#include "storage/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace tmx {

// Lets Boost.Test print a failed comparison of store results.
inline std::ostream& operator<<(std::ostream& out, store_errc e) {
  return out << to_string(e);
}

} // namespace tmx

using namespace tmx;

namespace {

using strings = std::vector<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

device_group parsed_group(const std::string& body) {
  device_group g;
  auto err = parse_group_request(body, g);
  BOOST_REQUIRE_MESSAGE(!err, body << ": " << err.message);
  return g;
}

std::string serials_json(size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i)
    out += (i > 0 ? ",\"s" : "\"s") + std::to_string(i) + "\"";
  return out + "]";
}

group_registry two_groups() {
  group_registry r;
  r.put({"b-team", {"s3", "s1"}, 20});
  r.put({"a-team", {"s1", "s2"}, 10});
  return r;
}

} // namespace

// -- the body of POST /api/v1/group
// ---------------------------------------------

BOOST_AUTO_TEST_CASE(group_body_keeps_name_and_serials_as_given) {
  auto g = parsed_group(R"({"name":"Shop @1","serials":["s2","s1"],)"
                        R"("colour":"red","created_at":"x"})");
  BOOST_TEST(g.name == "Shop @1");
  BOOST_TEST(g.serials == (strings{"s2", "s1"}));
  BOOST_TEST(g.created_at == 0);
  // 64 characters, not bytes: "é" is two bytes.
  std::string name;
  for (int i = 0; i < 64; ++i)
    name += "\xc3\xa9";
  BOOST_TEST(parsed_group(R"({"name":")" + name + R"(","serials":["s"]})").name
             == name);
  BOOST_TEST(
    parsed_group(R"({"name":"n","serials":)" + serials_json(1000) + "}")
      .serials.size()
    == 1000u);
}

BOOST_AUTO_TEST_CASE(group_body_errors_name_the_field) {
  struct bad {
    std::string body;
    const char* message;
  };
  std::vector<bad> cases{
    {"", "not valid JSON"},
    {"[1]", "body must be a JSON object"},
    {R"({"serials":["s"]})", "name must be a non-empty string"},
    {R"({"name":"","serials":["s"]})", "name must be a non-empty string"},
    {R"({"name":7,"serials":["s"]})", "name must be a non-empty string"},
    {R"({"name":")" + std::string(65, 'x') + R"(","serials":["s"]})",
     "name must be at most 64 characters"},
    {R"({"name":"a\tb","serials":["s"]})",
     "name must not hold control characters"},
    {R"({"name":"a\u007fb","serials":["s"]})",
     "name must not hold control characters"},
    {R"({"name":"n"})", "serials must be a non-empty array of strings"},
    {R"({"name":"n","serials":[]})",
     "serials must be a non-empty array of strings"},
    {R"({"name":"n","serials":"s1"})",
     "serials must be a non-empty array of strings"},
    {R"({"name":"n","serials":["s1",""]})",
     "serials[1] must be a non-empty string"},
    {R"({"name":"n","serials":["s1",2]})",
     "serials[1] must be a non-empty string"},
    {R"({"name":"n","serials":["s1","s2","s1"]})", "serials lists 's1' twice"},
    {R"({"name":"n","serials":)" + serials_json(1001) + "}",
     "serials may hold at most 1000 serials"},
    {"{\"name\":\"\xff\",\"serials\":[\"s\"]}", "name must be valid UTF-8"},
    {R"({"name":"n","serials":["s"],"x":)" + std::string(100, '[')
       + std::string(100, ']') + "}",
     "nests deeper"},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body.substr(0, 80)) {
      device_group g;
      auto err = parse_group_request(c.body, g);
      BOOST_TEST((err.code == ec::invalid_params));
      BOOST_TEST(contains(err.message, c.message), err.message);
    }
}

// -- the registry
// ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(registry_lists_by_name_and_knows_each_serials_groups) {
  auto r = two_groups();
  auto all = r.all();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].name == "a-team");
  BOOST_TEST(all[1].name == "b-team");
  BOOST_TEST(r.of("s1") == (strings{"a-team", "b-team"}));
  BOOST_TEST(r.of("s3") == (strings{"b-team"}));
  BOOST_TEST(r.of("s9").empty());
  r.put({"a-team", {"s9"}, 10}); // a replace
  BOOST_TEST(r.of("s1") == (strings{"b-team"}));
  BOOST_TEST(r.of("s9") == (strings{"a-team"}));
  r.erase("b-team");
  BOOST_TEST(r.find("b-team") == nullptr);
  BOOST_TEST(r.of("s1").empty());
}

BOOST_AUTO_TEST_CASE(group_mode_serials_are_a_union_in_a_stable_order) {
  auto r = two_groups();
  strings out;
  BOOST_TEST(!r.serials_of({"b-team", "a-team"}, out));
  BOOST_TEST(out == (strings{"s3", "s1", "s2"}));
  BOOST_TEST(!r.serials_of({"a-team", "b-team"}, out));
  BOOST_TEST(out == (strings{"s1", "s2", "s3"}));
  BOOST_TEST(r.serials_of({"a-team", "nope"}, out).message
             == "groups: unknown group 'nope'");
  r.put({"empty", {}, 0}); // the API never stores one
  auto err = r.serials_of({"empty"}, out);
  BOOST_TEST((err.code == ec::invalid_params));
  BOOST_TEST(err.message == "groups: group 'empty' has no serials");
}

// -- a create in group mode
// -------------------------------------------------------

BOOST_AUTO_TEST_CASE(create_takes_exactly_one_of_serials_usernames_groups) {
  auto parse = [](const std::string& targets, const std::string& extra = "") {
    create_request req;
    auto err = parse_create_request(
      "{" + targets + R"(,"script_name":"post","script_config":{})" + extra
        + "}",
      0, req);
    return std::pair{err, req};
  };
  auto [ok, req] = parse(R"("groups":["g1","g2"])",
                         R"(,"enable_multi_account":true)");
  BOOST_TEST(!ok, ok.message);
  BOOST_TEST(req.groups == (strings{"g1", "g2"}));
  BOOST_TEST(req.serials.empty());
  BOOST_TEST(req.multi_account);
  // An empty list counts as not given, as for serials.
  BOOST_TEST(!parse(R"("groups":["g"],"serials":[])").first);
  for (auto [targets, message] :
       std::vector<std::pair<std::string, std::string>>{
         {R"("serials":["s"],"groups":["g"])",
          "give exactly one of serials, usernames or groups"},
         {R"("usernames":["u"],"groups":["g"])",
          "give exactly one of serials, usernames or groups"},
         {R"("groups":[])", "groups must be a non-empty array of strings"},
         {R"("groups":"g")", "groups must be a non-empty array of strings"},
         {R"("groups":["g",""])", "groups[1] must be a non-empty string"},
         {R"("groups":["g","g"])", "groups lists 'g' twice"},
         {R"("x":1)", "(or give usernames or groups)"},
       })
    BOOST_TEST_CONTEXT(targets) {
      auto err = parse(targets).first;
      BOOST_TEST((err.code == ec::invalid_params));
      BOOST_TEST(contains(err.message, message), err.message);
    }
}

BOOST_AUTO_TEST_CASE(plan_errors_in_group_mode_name_the_groups) {
  account_registry accounts;
  accounts.put({"u1", "s1", "tiktok", true});
  create_request req;
  req.groups = {"g"};
  req.serials = {"s1", "s2"}; // as the manager resolved them
  req.script_name = "post";
  req.configs = {"{}"};
  req.multi_account = true;
  plan_context ctx{[](const std::string&) { return true; }, &accounts, 1000, 1,
                   1};
  std::mt19937_64 rng(1);
  BOOST_TEST(plan_tasks(req, "api", ctx, rng).error.message
             == "groups: device 's2' has no enabled accounts");
  auto unresolved = req;
  unresolved.serials.clear();
  BOOST_TEST(
    (plan_tasks(unresolved, "api", ctx, rng).error.code == ec::internal));
  req.multi_account = false;
  auto plan = plan_tasks(req, "api", ctx, rng);
  BOOST_REQUIRE(!plan.error);
  BOOST_REQUIRE_EQUAL(plan.tasks.size(), 2u);
  BOOST_TEST(plan.tasks[1].serial == "s2");
}

// -- the store
// -----------------------------------------------------------------

namespace {

struct store_dir {
  std::string path;
  std::unique_ptr<store> db;

  store_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "tmx-groups-XXXXXX")
                  .string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    reopen();
  }

  ~store_dir() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  void reopen(bool read_only = false) {
    db.reset();
    std::string error;
    db = store::open({path, false, read_only}, error);
    BOOST_REQUIRE_MESSAGE(db, error);
  }

  std::vector<device_group> groups() const {
    std::vector<device_group> out;
    BOOST_REQUIRE_EQUAL(to_string(db->groups(out)), "ok");
    return out;
  }
};

std::string names_and_serials(const std::vector<device_group>& groups) {
  std::string out;
  for (auto& g : groups) {
    out += g.name + ":";
    for (auto& s : g.serials)
      out += s + ",";
    out += std::to_string(g.created_at) + ";";
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(group_record_round_trips) {
  device_group g{"ignored",
                 {"sim-0001", "R58M123ABC", "\xc3\xa9"},
                 1'767'225'600'123};
  auto bytes = codec::encode(g);
  device_group back;
  BOOST_REQUIRE(codec::decode(bytes, back));
  BOOST_TEST(back.name.empty()); // the key holds it
  BOOST_TEST(back.serials == g.serials);
  BOOST_TEST(back.created_at == g.created_at);
  BOOST_TEST(!codec::decode(bytes.substr(0, bytes.size() - 1), back));
  BOOST_TEST(!codec::decode(bytes + "x", back));
  auto future = bytes;
  future[0] = static_cast<char>(codec::group_format + 1);
  BOOST_TEST(!codec::decode(future, back));
  BOOST_TEST(!codec::decode("\x01\xff\xff\xff\xff\x0f", back)); // a huge count
}

BOOST_FIXTURE_TEST_CASE(groups_are_stored_replaced_erased_and_reopened,
                        store_dir) {
  BOOST_TEST(groups().empty());
  BOOST_TEST(db->put_group({"b", {"s2"}, 5}) == store_errc::ok);
  BOOST_TEST(db->put_group({"a/é %", {"s1", "s2"}, 7}) == store_errc::ok);
  BOOST_TEST(db->put_group({"b", {"s3", "s1"}, 5}) == store_errc::ok);
  BOOST_TEST(names_and_serials(groups()) == "a/é %:s1,s2,7;b:s3,s1,5;");
  BOOST_TEST(db->erase_group("nope") == store_errc::not_found);
  BOOST_TEST(db->erase_group("b") == store_errc::ok);
  BOOST_TEST(db->erase_group("b") == store_errc::not_found);
  reopen();
  BOOST_TEST(names_and_serials(groups()) == "a/é %:s1,s2,7;");
  // A tmxctl beside the server sees them, writes nothing, finds no fault.
  reopen(true);
  BOOST_TEST(names_and_serials(groups()) == "a/é %:s1,s2,7;");
  BOOST_TEST(db->put_group({"c", {"s1"}, 1}) == store_errc::read_only);
  BOOST_TEST(db->erase_group("a/é %") == store_errc::read_only);
  std::vector<std::string> problems;
  BOOST_TEST(db->check([&](const std::string& p) { problems.push_back(p); }, {})
             == store_errc::ok);
  BOOST_TEST(problems.empty());
}

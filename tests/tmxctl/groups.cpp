// tmxctl groups (table and --json) and tmxctl create --groups, against a
// real server.
#include "tests/tmxctl/fixtures.hpp"

#include <string>
#include <vector>

using namespace tmx::test;

namespace {

void put_group(const live_server& srv, const std::string& name,
               const std::vector<std::string>& serials) {
  auto r = srv.post("/api/v1/group", "{\"name\":\"" + name + "\",\"serials\":"
                                       + json_strings(serials) + "}");
  BOOST_REQUIRE_MESSAGE(r.code() == 0, r.text);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(groups_table_and_json, live_server) {
  auto none = ctl({"groups"});
  BOOST_TEST(none.exit == 0, none.err);
  BOOST_TEST(none.out == "no groups\n");

  put_group(*this, "shop-b", {"sim-0003", "sim-0001"});
  put_group(*this, "shop-a", {"sim-0002"});
  auto r = ctl({"groups"});
  BOOST_TEST(r.exit == 0, r.err);
  auto lines = r.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 3u); // header and a row per group
  BOOST_TEST(contains(lines[0], "NAME"));
  BOOST_TEST(contains(lines[0], "DEVICES  SERIALS"));
  BOOST_TEST(contains(lines[0], "CREATED"));
  BOOST_TEST(contains(lines[1], "shop-a"));
  BOOST_TEST(contains(lines[2], "shop-b"));
  BOOST_TEST(contains(lines[2], " 2  sim-0003, sim-0001  "), lines[2]);
  auto created = text_of(
    member(member(api("/group"), "groups")[0], "created_at")); // ISO-8601
  BOOST_TEST(contains(lines[1],
                      created.substr(0, 10) + " " + created.substr(11, 8)),
             lines[1]);

  auto j = ctl({"groups", "--json"});
  BOOST_TEST(j.exit == 0, j.err);
  check_same_json(j.json(), api("/group"));

  // tmxctl devices shows each phone's groups.
  auto d = ctl({"devices"});
  BOOST_TEST(contains(d.lines()[0], "GROUPS"));
  BOOST_TEST(contains(d.line_with("sim-0001"), "shop-b"));
  BOOST_TEST(!contains(d.line_with("sim-0001"), "shop-a"));
  BOOST_TEST(contains(d.line_with("sim-0002"), "shop-a"));
}

BOOST_FIXTURE_TEST_CASE(create_with_groups, live_server) {
  put_group(*this, "g1", {"sim-0002", "sim-0001"});
  put_group(*this, "g2", {"sim-0001", "sim-0004"});
  auto r = ctl(
    {"create", "--groups", "g2,g1", "--script", "post", "--start-time", later});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "created 3 tasks: 1, 2, 3\n");
  std::vector<std::string> serials;
  for (uint64_t id : {1, 2, 3}) {
    auto t = api(path_of(id));
    serials.push_back(text_of(member(t, "serial")));
    BOOST_TEST(text_of(member(t, "source")) == "ui");
  }
  BOOST_TEST(serials
             == (std::vector<std::string>{"sim-0001", "sim-0004", "sim-0002"}));

  auto multi = ctl({"create", "--groups", "g1", "--script", "post",
                    "--multi-account", "--start-time", later, "--json"});
  BOOST_TEST(multi.exit == 0, multi.err);
  check_same_json(multi.json(),
                  parse_json(R"({"task_ids":[4,5,6,7],"created_count":4})"));

  auto unknown = ctl({"create", "--groups", "g1,nope", "--script", "post"});
  BOOST_TEST(unknown.exit == 1);
  BOOST_TEST(contains(unknown.err, "error 40001"), unknown.err);
  BOOST_TEST(contains(unknown.err, "unknown group 'nope'"), unknown.err);
  auto both = ctl(
    {"create", "--serials", "sim-0001", "--groups", "g1", "--script", "post"});
  BOOST_TEST(both.exit == 2);
  BOOST_TEST(both.out.empty());
  BOOST_TEST(int_of(member(api("/task/stats"), "total")) == 7);
}

// tmxctl's offline commands (db info, check, dump) on data directories
// written by a real tmx-server, clean or with inconsistencies injected
// through the store's test hook.
#include "tests/tmxctl/fixtures.hpp"

#include "storage/store.hpp"

#include <string>
#include <vector>

using namespace tmx::test;

namespace {

/// A copy of a stopped server's data directory, removed at the end.
struct data_copy {
  std::filesystem::path dir = make_temp_dir();
  std::string path = (dir / "data").string();

  explicit data_copy(const std::filesystem::path& from) {
    std::filesystem::copy(from, path, std::filesystem::copy_options::recursive);
  }

  ~data_copy() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  result db(const std::string& command, args more = {}) const {
    more.insert(more.begin(), {"db", command, "--data", path});
    return tmxctl(more);
  }
};

/// The objects of `db dump` output, one per line.
std::vector<rapidjson::Document> dumped(const result& r) {
  std::vector<rapidjson::Document> out;
  for (auto& line : r.lines())
    out.push_back(parse_json(line));
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(db_commands_on_a_clean_store, busy_server) {
  BOOST_REQUIRE_EQUAL(
    post("/api/v1/group", R"({"name":"left","serials":["sim-0001"]})").code(),
    0);
  auto tasks = api("/task?page_size=100");
  auto stats = api("/task/stats");
  BOOST_REQUIRE_EQUAL(terminate(), 0);
  data_copy data(data_dir());

  auto check = data.db("check");
  BOOST_TEST(check.exit == 0, check.out << check.err);
  BOOST_TEST(check.out
             == "consistent: 8 tasks, every index entry, counter and id "
                "checked\n");
  auto check_json = data.db("check", {"--json"}).json();
  BOOST_TEST(member(check_json, "consistent").IsTrue());
  BOOST_TEST(member(check_json, "problems").Empty());

  auto info = data.db("info", {"--json"});
  BOOST_TEST(info.exit == 0, info.err);
  auto doc = info.json();
  BOOST_TEST(int_of(member(doc, "schema_version")) == 5);
  BOOST_TEST(id_of(member(doc, "next_id")) == max_id() + 2); // one deleted
  check_same_json(member(doc, "tasks"), stats);
  BOOST_TEST(int_of(member(member(doc, "sources"), "api")) == 8);
  BOOST_TEST(int_of(member(member(doc, "scripts"), "post")) == 8);
  BOOST_TEST(int_of(member(member(doc, "serials"), "sim-0001")) == 2);
  BOOST_TEST(int_of(member(doc, "devices")) == 4);
  BOOST_TEST(int_of(member(doc, "accounts")) == 8);
  BOOST_TEST(int_of(member(doc, "groups")) == 1);
  BOOST_TEST(int_of(member(doc, "schedules")) == 0);
  BOOST_TEST(int_of(member(doc, "directory_bytes")) > 0);
  std::vector<std::string> families;
  for (auto& f : member(doc, "column_families").GetArray())
    families.push_back(text_of(member(f, "name")));
  BOOST_TEST(families
             == (std::vector<std::string>{
               "tasks", "index", "meta", "accounts", "devices", "idempotency",
               "logs", "events", "webhooks", "groups", "schedules", "lists"}));
  auto table = data.db("info");
  BOOST_TEST(table.line_with("schema version") == "schema version  5");
  BOOST_TEST(contains(table.line_with("tasks"),
                      "8 total: 3 pending, 0 running, 3 completed, 2 failed"));
  BOOST_TEST(contains(table.line_with("FAMILY"), "KEYS"));
  BOOST_TEST(contains(table.line_with("idempotency"), "0"));

  // The dump: every task, ascending id, exactly the API's objects.
  auto dump = dumped(data.db("dump"));
  auto& listed = member(tasks, "tasks");
  BOOST_REQUIRE_EQUAL(dump.size(), listed.Size());
  for (rapidjson::SizeType i = 0; i < listed.Size(); ++i)
    check_same_json(dump[i], listed[listed.Size() - 1 - i]);
  auto failed_dump = dumped(data.db("dump", {"--status", "failed"}));
  BOOST_REQUIRE_EQUAL(failed_dump.size(), failed.size());
  for (size_t i = 0; i < failed.size(); ++i)
    BOOST_TEST(id_of(member(failed_dump[i], "id")) == failed[i]);
}

BOOST_FIXTURE_TEST_CASE(db_commands_beside_a_running_server, busy_server) {
  auto data = data_dir().string();
  auto check = tmxctl({"db", "check", "--data", data});
  BOOST_TEST(check.exit == 0, check.out << check.err);
  auto info = tmxctl({"db", "info", "--json"}, {{"TMX_DATA", data}});
  BOOST_TEST(info.exit == 0, info.err);
  check_same_json(member(info.json(), "tasks"), api("/task/stats"));
  auto dump = tmxctl({"db", "dump", "--data", data, "--status", "0"});
  BOOST_TEST(dump.lines().size() == pending.size());
  // The server did not notice: it still writes.
  auto more = create({"sim-0002"}, later);
  BOOST_TEST(more.size() == 1u);
  auto after = tmxctl({"db", "dump", "--data", data, "--status", "0"});
  BOOST_TEST(after.lines().size() == pending.size() + 1);
  check_same_json(parse_json(after.lines().back()), api(path_of(more[0])));
}

BOOST_AUTO_TEST_CASE(db_on_a_missing_directory_fails) {
  auto dir = make_temp_dir();
  for (auto command : {"info", "check", "dump"}) {
    auto r = tmxctl({"db", command, "--data", (dir / "none").string()});
    BOOST_TEST(r.exit == 1);
    BOOST_TEST(contains(r.err, "cannot open read-only"), r.err);
  }
  BOOST_TEST(!std::filesystem::exists(dir / "none"));
  std::filesystem::remove_all(dir);
}

BOOST_FIXTURE_TEST_CASE(db_check_reports_each_inconsistency, busy_server) {
  BOOST_REQUIRE_EQUAL(terminate(), 0);
  using tmx::corruption;
  auto missing = max_id() + 100;
  auto some = completed[1];
  struct injected {
    corruption kind;
    uint64_t id;
    std::string reported;
  };
  auto task = [](uint64_t id) { return "task " + std::to_string(id); };
  const std::vector<injected> cases{
    {corruption::stray_list_entry, missing,
     "entry of " + task(missing)
       + " in list stream status pending source \"api\": no such task"},
    {corruption::wrong_list_stream, some,
     "entry of " + task(some)
       + " in list stream serial \"sim-0002-wrong\" status completed source "
         "\"api\": the task is not in it"},
    {corruption::wrong_bucket_count, completed[2],
     "count of bucket 0 of list stream status completed source \"api\" is "
     "10, a recount gives 3"},
    {corruption::old_index_entry, completed[0],
     "index: a key of the per-field index, which version 5 deleted: 02"},
    {corruption::stale_next_id, pending[0],
     "next_id is " + std::to_string(pending[0]) + ", not above "
       + task(max_id())},
    {corruption::undecodable_task, failed[0],
     task(failed[0]) + ": the record cannot be decoded"},
    {corruption::drop_due_entry, pending[1],
     task(pending[1]) + ": pending and due at 2090-01-01T"},
    {corruption::orphan_log, missing,
     "log of " + task(missing) + ": no such task"},
  };
  // One kind at a time: exactly that one problem, exit 1.
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.reported) {
      data_copy data(data_dir());
      BOOST_REQUIRE(tmx::store::corrupt_for_test(data.path, c.kind, c.id));
      auto r = data.db("check");
      BOOST_TEST(r.exit == 1);
      auto lines = r.lines();
      BOOST_REQUIRE_EQUAL(lines.size(), 2u);
      BOOST_TEST(contains(lines[0], c.reported), lines[0]);
      BOOST_TEST(lines[1] == "1 inconsistency in " + data.path);
      auto j = data.db("check", {"--json"});
      BOOST_TEST(j.exit == 1);
      auto doc = j.json();
      BOOST_TEST(member(doc, "consistent").IsFalse());
      BOOST_TEST(member(doc, "problems").Size() == 1u);
    }
  // All of them in one store: each one reported.
  data_copy all(data_dir());
  for (auto& c : cases)
    BOOST_REQUIRE(tmx::store::corrupt_for_test(all.path, c.kind, c.id));
  auto r = all.db("check");
  BOOST_TEST(r.exit == 1);
  for (auto& c : cases)
    BOOST_TEST(contains(r.out, c.reported), c.reported);
  BOOST_TEST(r.lines().back()
             == std::to_string(cases.size()) + " inconsistencies in "
                  + all.path);
  // A dump stops at the undecodable record and says so.
  auto dump = all.db("dump");
  BOOST_TEST(dump.exit == 1);
  BOOST_TEST(contains(dump.err, "corrupt"), dump.err);
}

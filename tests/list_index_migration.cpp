// Tests of the list index suite on older stores: a version-2 one (no list
// index) and a version-4 one (the per-field index and its counters beside
// it) migrated at a writer's open, and what a read-only instance of each
// answers before: counts, db info's values, the status walks, db check.
#include "tests/list_index_fixture.hpp"

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace tmx;
using namespace tmx::test;

namespace {

// What info() and counts() say of the tasks, against the model.
void check_totals(const fixture& fx, const store& s) {
  store_info info;
  BOOST_REQUIRE(s.info(info) == store_errc::ok);
  std::map<std::tuple<std::string, std::string>, uint64_t> want, got;
  task_counts counts;
  for (const auto& [id, t] : fx.model) {
    for (auto [field, value] :
         {std::pair{"serial", &t.serial}, std::pair{"script", &t.script_name},
          std::pair{"source", &t.source}})
      ++want[{field, *value}];
    ++counts.total;
    ++counts.by_status[static_cast<size_t>(t.status)];
  }
  for (const auto& v : info.values)
    got[{v.field, v.value}] = v.tasks;
  BOOST_TEST(got == want);
  for (const auto& c : {info.counts, s.counts()}) {
    BOOST_TEST(c.total == counts.total);
    BOOST_TEST(c.by_status == counts.by_status);
  }
  for (int i = 0; i < status_count; ++i) {
    auto status = static_cast<task_status>(i);
    std::vector<task_id> walked, want_ids;
    BOOST_REQUIRE(s.for_each_with_status(status, [&](const task& t) {
      walked.push_back(t.id);
      return true;
    }) == store_errc::ok);
    for (const auto& [id, t] : fx.model)
      if (t.status == status)
        want_ids.push_back(id);
    BOOST_TEST(walked == want_ids);
  }
}

std::set<std::string> family_names(const store& s) {
  store_info info;
  BOOST_REQUIRE(s.info(info) == store_errc::ok);
  std::set<std::string> out;
  for (const auto& f : info.families)
    out.insert(f.name);
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(a_version_2_store_is_migrated_at_open, fixture) {
  fill(25000);
  db.reset();
  // What a version-2 tmx left: the same tasks, the per-field index and its
  // counters, no list index.
  BOOST_REQUIRE(store::drop_list_index_for_test(dir.path));
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, 2));
  {
    auto reader = open(true); // reads it, but cannot list
    task_page p;
    BOOST_TEST(to_string(reader->list({}, 1, 20, p)) == "schema_mismatch");
    BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
    check_totals(*this, *reader); // recounted from the tasks
  }
  db = open(); // migrates
  store_info info;
  BOOST_REQUIRE(db->info(info) == store_errc::ok);
  BOOST_TEST(info.schema_version == store::schema_version);
  BOOST_TEST(family_names(*db).count("counters") == 0u);
  check_totals(*this, *db);
  for (const auto& f : all_filters()) {
    auto want = expected(f);
    check_page(*this, *db, f, want, 1, 100);
    check_page(*this, *db, f, want, static_cast<uint32_t>(want.size() / 40 + 1),
               20);
  }
  fill(2000); // and keeps it
  db.reset();
  BOOST_TEST(problems_of(*open(true)) == std::vector<std::string>{});
}

BOOST_FIXTURE_TEST_CASE(a_version_4_store_loses_the_per_field_index, fixture) {
  fill(6000);
  db.reset();
  // As version 4 left it: the per-field index and its counters beside the
  // list index, which had bucket counts for the streams of a serial too.
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, 4));
  {
    auto reader = open(true); // has the list index: answers from it
    check_totals(*this, *reader);
    BOOST_TEST(family_names(*reader).count("counters") == 1u);
    BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
  }
  db = open(); // migrates
  store_info info;
  BOOST_REQUIRE(db->info(info) == store_errc::ok);
  BOOST_TEST(info.schema_version == 5u);
  BOOST_TEST(family_names(*db).count("counters") == 0u);
  check_totals(*this, *db);
  fill(1000); // counts move with the writes
  check_totals(*this, *db);
  db.reset();
  // Every key of the per-field index is gone, and the buckets of the
  // serials' streams: check reports any left (old_index_entry in
  // check_reports_each_injected_inconsistency_once; a stray bucket count).
  auto reader = open(true);
  BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
  BOOST_TEST(family_names(*reader).count("counters") == 0u);
  check_totals(*this, *reader);
}

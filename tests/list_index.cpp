// Tests of the list index (storage/lists.hpp) on a real RocksDB: every
// combination of filters, shallow and deep pages (past the first bucket),
// exact totals after inserts, moves and erases, retention's walk, the
// device queues, and tmxctl db check's view of it (the migrations of older
// stores: list_index_migration.cpp).
#define BOOST_TEST_MODULE list_index
#include <boost/test/unit_test.hpp>

#include "tests/list_index_fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

using namespace tmx;
using namespace tmx::test;

BOOST_FIXTURE_TEST_CASE(every_filter_combination_shallow_and_deep, fixture) {
  fill(60000); // ids up to 60000: 15 buckets of 4096
  auto check = [&](const store& s) {
    for (const auto& f : all_filters()) {
      auto want = expected(f);
      for (uint32_t size : {20u, 100u}) {
        auto last = static_cast<uint32_t>((want.size() + size - 1) / size);
        std::set<uint32_t> pages{1, 2, last, last + 1};
        for (uint64_t at :
             {uint64_t{4095}, uint64_t{4096}, uint64_t{16383}, uint64_t{16384},
              uint64_t{20000}, want.size() / 2, want.size() - 1})
          pages.insert(static_cast<uint32_t>(at / size + 1));
        for (auto page : pages)
          if (page >= 1)
            check_page(*this, s, f, want, page, size);
      }
    }
  };
  check(*db);
  db.reset();
  auto reader = open(true);
  check(*reader); // a read-only instance sees the same
  BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
}

BOOST_FIXTURE_TEST_CASE(an_emptied_store_lists_nothing, fixture) {
  fill(3000);
  std::vector<task_id> ids, erased;
  for (const auto& [id, t] : model)
    ids.push_back(id);
  BOOST_REQUIRE(db->erase(ids, erased) == store_errc::ok);
  model.clear();
  for (const auto& f : all_filters()) {
    task_page p;
    BOOST_REQUIRE(db->list(f, 1, 20, p) == store_errc::ok);
    BOOST_TEST(p.total == 0u);
    BOOST_TEST(p.tasks.empty());
  }
}

// -- retention's walk of the ended entries -----------------------------------

BOOST_FIXTURE_TEST_CASE(expire_deletes_old_finished_tasks_in_batches, fixture) {
  fill(5000);
  const millis cutoff = 1700000000000 + 2500; // finished before: expired
  auto old = [&](const task& t) {
    return !t.active() && t.finished_at < cutoff;
  };
  size_t to_go = 0;
  for (const auto& [id, t] : model)
    to_go += old(t);
  BOOST_REQUIRE_GT(to_go, 500u);
  auto logged = std::find_if(model.begin(), model.end(), [&](const auto& kv) {
                  return old(kv.second);
                })->first;
  BOOST_REQUIRE(db->update({}, {{logged, {{1, "a line"}}}}) == store_errc::ok);
  db->take_events();
  size_t removed = 0, total = 0, batches = 0;
  bool more = true;
  while (more) {
    auto before = model;
    BOOST_REQUIRE(db->expire(cutoff, 200, removed, more) == store_errc::ok);
    BOOST_REQUIRE_LE(removed, 200u);
    total += removed;
    ++batches;
    // Those that finished first go first: none left finished before one
    // that went.
    millis latest_gone = INT64_MIN, earliest_left = INT64_MAX;
    for (const auto& [id, t] : before) {
      task ignored;
      if (db->get(id, ignored) == store_errc::not_found) {
        BOOST_TEST(old(t));
        latest_gone = std::max(latest_gone, t.finished_at);
        model.erase(id);
      } else if (old(t)) {
        earliest_left = std::min(earliest_left, t.finished_at);
      }
    }
    BOOST_TEST(latest_gone <= earliest_left);
  }
  BOOST_TEST(total == to_go);
  BOOST_TEST(batches == to_go / 200 + 1);
  BOOST_TEST(db->expired() == to_go);
  BOOST_TEST(db->take_events().empty()); // housekeeping: no events
  std::vector<log_line> lines;
  BOOST_TEST(to_string(db->get_log(logged, lines)) == "not_found");
  for (const auto& [id, t] : model)
    BOOST_TEST(!old(t));
  // Counts and lists are exact for what is left.
  auto counts = db->counts();
  BOOST_TEST(counts.total == model.size());
  for (const auto& f : all_filters()) {
    auto want = expected(f);
    check_page(*this, *db, f, want, 1, 100);
  }
  BOOST_REQUIRE(db->expire(cutoff, 200, removed, more) == store_errc::ok);
  BOOST_TEST(removed == 0u);
  BOOST_TEST(!more);
  db.reset();
  auto reader = open(true);
  BOOST_TEST(reader->expired() == to_go); // kept across a reopen
  store_info info;
  BOOST_REQUIRE(reader->info(info) == store_errc::ok);
  BOOST_TEST(info.expired == to_go);
  BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
}

// -- device queues -----------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(device_queues_hold_the_pending_tasks_in_order,
                        fixture) {
  fill(6000);
  auto check = [&](const store& s) {
    const millis now = 1700000000000 + 3000;
    std::vector<std::pair<std::string, uint64_t>> due;
    BOOST_REQUIRE(s.queued_by_serial(now, due) == store_errc::ok);
    std::map<std::string, uint64_t> due_of(due.begin(), due.end());
    for (const auto& serial : serials) {
      std::vector<const task*> want;
      uint64_t due_count = 0;
      for (const auto& [id, t] : model)
        if (t.serial == serial && t.status == task_status::pending) {
          want.push_back(&t);
          due_count += t.scheduled_at <= now;
        }
      std::sort(want.begin(), want.end(), [](auto* a, auto* b) {
        return std::pair{a->queue_seq, a->id} < std::pair{b->queue_seq, b->id};
      });
      BOOST_TEST(due_of[serial] == due_count);
      // Read a slice at a time, as a device does.
      std::vector<queued_entry> got, slice;
      uint64_t after = 0;
      do {
        BOOST_REQUIRE(s.queued(serial, after, 50, slice) == store_errc::ok);
        BOOST_REQUIRE_LE(slice.size(), 50u);
        for (auto& q : slice)
          got.push_back(q);
        if (!slice.empty())
          after = slice.back().seq;
      } while (slice.size() == 50);
      BOOST_REQUIRE_EQUAL(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST(got[i].id == want[i]->id);
        BOOST_TEST(got[i].seq == want[i]->queue_seq);
        BOOST_TEST(got[i].scheduled_at == want[i]->scheduled_at);
        BOOST_TEST(got[i].username == want[i]->username);
      }
    }
  };
  check(*db);
  db.reset();
  BOOST_REQUIRE(store::drop_list_index_for_test(dir.path));
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, 2));
  db = open(); // the migration builds the queues too
  check(*db);
  db.reset();
  // What a version-3 tmx left: the list index without the queues.
  BOOST_REQUIRE(store::drop_queues_for_test(dir.path));
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, 3));
  db = open();
  check(*db);
  db.reset();
  BOOST_TEST(problems_of(*open(true)) == std::vector<std::string>{});
}

// The storage suite (storage.cpp), continued: task logs, the due index,
// schema versions and migration, read-only instances, inspection (info,
// for_each_task) and check.
#include <boost/test/unit_test.hpp>

#include "tests/storage_fixture.hpp"

using namespace tmx;
using namespace tmx::test::storage_suite;
using tmx::test::problems_of;
using tmx::test::temp_dir;

BOOST_FIXTURE_TEST_CASE(update_replaces_logs_and_erase_drops_them, fixture) {
  insert({make_task(1), make_task(2), make_task(3)});
  std::vector<log_line> lines{{7, "old"}};
  BOOST_TEST(to_string(db->get_log(1, lines)) == "ok");
  BOOST_TEST(lines.empty()); // no log yet

  auto first = numbered_lines(3, "first");
  BOOST_TEST(to_string(db->update({}, {{1, first}, {2, first}})) == "ok");
  auto done = make_task(1);
  done.status = task_status::completed;
  auto second = numbered_lines(2, "second");
  BOOST_TEST(to_string(db->update({done}, {{1, second}})) == "ok");
  db = reopen();
  BOOST_TEST((must_get(1) == done));
  BOOST_TEST(to_string(db->get_log(1, lines)) == "ok");
  BOOST_TEST(same_lines(lines, second)); // replaced, not appended
  BOOST_TEST(to_string(db->get_log(2, lines)) == "ok");
  BOOST_TEST(same_lines(lines, first));
  BOOST_TEST(to_string(db->update({}, {{2, {}}})) == "ok");
  BOOST_TEST(to_string(db->get_log(2, lines)) == "ok");
  BOOST_TEST(lines.empty());

  // Only the last max_log_lines lines are kept.
  auto many = numbered_lines(store::max_log_lines + 5, "line");
  BOOST_TEST(to_string(db->update({}, {{3, many}})) == "ok");
  BOOST_TEST(to_string(db->get_log(3, lines)) == "ok");
  BOOST_REQUIRE_EQUAL(lines.size(), store::max_log_lines);
  BOOST_TEST(lines.front().text == "line 5");
  BOOST_TEST(same_lines(lines, {many.begin() + 5, many.end()}));
  auto exactly = numbered_lines(store::max_log_lines, "full");
  BOOST_TEST(to_string(db->update({}, {{3, exactly}})) == "ok");
  BOOST_TEST(to_string(db->get_log(3, lines)) == "ok");
  BOOST_TEST(same_lines(lines, exactly));

  // The log goes with its task.
  std::vector<task_id> erased;
  BOOST_REQUIRE(db->erase({1}, erased) == store_errc::ok);
  BOOST_TEST(to_string(db->get_log(1, lines)) == "not_found");
  BOOST_TEST(lines.empty());
  BOOST_TEST(to_string(db->update({}, {{1, first}})) == "not_found");
  BOOST_TEST(to_string(db->get_log(99, lines)) == "not_found");
}

BOOST_FIXTURE_TEST_CASE(update_with_a_log_of_a_missing_task_writes_nothing,
                        fixture) {
  insert({make_task(1), make_task(2)});
  auto old_lines = numbered_lines(2, "old");
  BOOST_REQUIRE(db->update({}, {{1, old_lines}}) == store_errc::ok);
  auto running = make_task(1, "s1", "post", task_status::running);
  auto new_lines = numbered_lines(1, "new");
  BOOST_TEST(to_string(db->update({running}, {{1, new_lines}, {9, new_lines}}))
             == "not_found");
  BOOST_TEST((must_get(1) == make_task(1)));
  std::vector<log_line> lines;
  BOOST_TEST(to_string(db->get_log(1, lines)) == "ok");
  BOOST_TEST(same_lines(lines, old_lines));
  BOOST_TEST(db->counts().by_status[0] == 2u);
  // A log of a task that is not among `tasks` but exists is fine.
  BOOST_TEST(to_string(db->update({running}, {{2, new_lines}})) == "ok");
  BOOST_TEST(to_string(db->get_log(2, lines)) == "ok");
  BOOST_TEST(same_lines(lines, new_lines));
}

BOOST_FIXTURE_TEST_CASE(due_index_follows_status_and_schedule, fixture) {
  auto scheduled = [](task_id id, millis at,
                      task_status status = task_status::pending) {
    auto t = make_task(id, "s1", "post", status);
    t.scheduled_at = at;
    return t;
  };
  // Only pending tasks with a scheduled_at have an entry.
  insert({scheduled(1, 500), scheduled(2, 0), scheduled(3, 100),
          scheduled(4, 100, task_status::running),
          scheduled(5, 100, task_status::completed),
          scheduled(6, 100, task_status::failed), scheduled(7, -20)});
  BOOST_TEST(due_entries(*db) == (due_list{{-20, 7}, {100, 3}, {500, 1}}));

  BOOST_REQUIRE(db->update({scheduled(1, 500, task_status::running)})
                == store_errc::ok);
  BOOST_TEST(due_entries(*db) == (due_list{{-20, 7}, {100, 3}}));
  BOOST_REQUIRE(db->update({scheduled(1, 500, task_status::failed)})
                == store_errc::ok);
  BOOST_TEST(due_entries(*db) == (due_list{{-20, 7}, {100, 3}}));
  // Retried: pending again, at a new time; and one unscheduled in one call.
  BOOST_REQUIRE(db->update({scheduled(1, 50), scheduled(3, 0)})
                == store_errc::ok);
  BOOST_TEST(due_entries(*db) == (due_list{{-20, 7}, {50, 1}}));
  // Pending to pending at another time; twice in one call: the last counts.
  BOOST_REQUIRE(
    db->update({scheduled(2, 300), scheduled(7, 10), scheduled(7, 60)})
    == store_errc::ok);
  BOOST_TEST(due_entries(*db) == (due_list{{50, 1}, {60, 7}, {300, 2}}));

  std::vector<task_id> erased;
  BOOST_REQUIRE(db->erase({7}, erased) == store_errc::ok);
  BOOST_TEST(due_entries(*db) == (due_list{{50, 1}, {300, 2}}));
  // A refused update changes nothing.
  BOOST_TEST(to_string(db->update({scheduled(1, 0), scheduled(7, 1)}))
             == "not_found");
  db = reopen();
  BOOST_TEST(due_entries(*db) == (due_list{{50, 1}, {300, 2}}));
}

BOOST_FIXTURE_TEST_CASE(for_each_due_takes_from_until_and_stops, fixture) {
  std::vector<task> tasks;
  for (task_id id = 1; id <= 6; ++id) {
    tasks.push_back(make_task(id));
    tasks.back().scheduled_at = 100 * static_cast<millis>((id + 1) / 2);
  }
  insert(tasks); // due 100: 1 2, 200: 3 4, 300: 5 6
  BOOST_TEST(due_entries(*db, 100, 300)
             == (due_list{{100, 1}, {100, 2}, {200, 3}, {200, 4}}));
  BOOST_TEST(due_entries(*db, 101, 301)
             == (due_list{{200, 3}, {200, 4}, {300, 5}, {300, 6}}));
  BOOST_TEST(due_entries(*db, 200, 201) == (due_list{{200, 3}, {200, 4}}));
  BOOST_TEST(due_entries(*db, 0, 100).empty());
  BOOST_TEST(due_entries(*db, 200, 200).empty());
  BOOST_TEST(due_entries(*db, 300, 100).empty());
  BOOST_TEST(due_entries(*db, 301, INT64_MAX).empty());

  due_list seen;
  BOOST_TEST(to_string(db->for_each_due(0, 1000,
                                        [&](millis due, task_id id) {
                                          seen.emplace_back(due, id);
                                          return seen.size() < 3;
                                        }))
             == "ok");
  BOOST_TEST(seen == (due_list{{100, 1}, {100, 2}, {200, 3}}));
}

BOOST_FIXTURE_TEST_CASE(schema_1_store_gets_a_due_index_at_open, fixture) {
  std::map<task_id, task> model;
  std::vector<task> tasks;
  for (task_id id = 1; id <= 8; ++id) {
    auto t = make_task(id, "s1", "post", static_cast<task_status>(id % 4));
    t.scheduled_at = id % 3 == 0 ? 0 : 1000 - static_cast<millis>(id);
    model[id] = t;
    tasks.push_back(t);
  }
  insert(tasks);
  BOOST_REQUIRE(!expected_due(model).empty());
  db.reset();
  // What a version-1 tmx left: the same tasks, the per-field index and
  // counters, no due index, no list index.
  BOOST_REQUIRE(store::drop_due_index_for_test(dir.path));
  BOOST_REQUIRE(store::drop_list_index_for_test(dir.path));
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, 1));

  // A reader opens it but has no due index to walk; it has no list index
  // either, and recounts and walks the tasks instead.
  auto reader = open(true);
  BOOST_TEST(reader->counts().total == 8u);
  check_counts(*reader, model);
  BOOST_TEST(with_status(*reader, task_status::failed, model)
             == ids_with(model, task_status::failed));
  BOOST_TEST(to_string(reader->for_each_due(
               0, 2000, [](millis, task_id) { return true; }))
             == "schema_mismatch");
  BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
  reader.reset();

  db = open(); // migrates
  BOOST_TEST(due_entries(*db) == expected_due(model));
  check_counts(*db, model);
  BOOST_TEST(with_status(*db, task_status::failed, model)
             == ids_with(model, task_status::failed));
  BOOST_TEST(problems_of(*db) == std::vector<std::string>{});
  db = reopen();
  BOOST_TEST(due_entries(*db) == expected_due(model));
  // Now version 2: a reader has the due index.
  db.reset();
  BOOST_TEST(due_entries(*open(true)) == expected_due(model));
}

BOOST_FIXTURE_TEST_CASE(idempotency_record_round_trip, fixture) {
  idempotency_record rec{"k-1", "digest", {1, 2}, 99};
  BOOST_REQUIRE(db->insert({make_task(1), make_task(2)}, &rec)
                == store_errc::ok);
  db = reopen();
  idempotency_record back;
  BOOST_TEST(to_string(db->find_idempotency("k-1", back)) == "ok");
  BOOST_TEST(back.fingerprint == "digest");
  BOOST_TEST(back.task_ids == rec.task_ids);
  BOOST_TEST(back.created_at == 99);
  BOOST_TEST(to_string(db->find_idempotency("k-2", back)) == "not_found");
}

BOOST_FIXTURE_TEST_CASE(accounts_and_devices, fixture) {
  BOOST_TEST(db->put_account({"@a", "s1", "tiktok", true}) == store_errc::ok);
  BOOST_TEST(db->put_account({"a", "s2", "instagram", false})
             == store_errc::ok);
  BOOST_TEST(db->put_account({"@a", "s3", "tiktok", false}) == store_errc::ok);
  for (const char* serial : {"s2", "s1", "s2"})
    BOOST_TEST(db->add_device(serial) == store_errc::ok);
  db = reopen();
  account a;
  BOOST_TEST(to_string(db->get_account("@a", a)) == "ok");
  BOOST_TEST(a.serial == "s3");
  BOOST_TEST(!a.enabled);
  auto all = db->accounts();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[1].username == "a");
  BOOST_TEST(all[1].platform == "instagram");
  BOOST_TEST(db->devices() == (std::vector<std::string>{"s1", "s2"}));
  BOOST_TEST(to_string(db->erase_account("@a")) == "ok");
  BOOST_TEST(to_string(db->erase_account("@a")) == "not_found");
  BOOST_TEST(to_string(db->get_account("@a", a)) == "not_found");
  BOOST_TEST(db->accounts().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(other_schema_version_is_refused, fixture) {
  insert({make_task(1)});
  db.reset();
  auto newer = store::schema_version + 1;
  BOOST_REQUIRE(store::write_schema_version_for_test(dir.path, newer));
  for (bool read_only : {false, true}) {
    std::string error;
    BOOST_TEST(!store::open({dir.path, false, read_only}, error));
    BOOST_TEST(error.find("schema_mismatch") != std::string::npos, error);
    BOOST_TEST(error.find("schema version " + std::to_string(newer))
                 != std::string::npos,
               error);
  }
}

BOOST_FIXTURE_TEST_CASE(read_only_sees_live_writer_and_refuses_writes,
                        fixture) {
  insert({make_task(1)});
  auto reader = open(true);
  task t;
  BOOST_TEST(to_string(reader->get(1, t)) == "ok");
  BOOST_TEST(reader->counts().total == 1u);

  insert({make_task(2, "s2")});
  reader = open(true);
  BOOST_TEST(reader->counts().total == 2u);
  BOOST_TEST(reader->next_id() == 3u);
  uint64_t total = 0;
  BOOST_TEST(list_ids(*reader, by_serial("s2"), &total)
             == std::vector<task_id>{2});
  BOOST_TEST(total == 1u);

  std::vector<log_line> lines;
  BOOST_TEST(to_string(reader->get_log(1, lines)) == "ok");
  BOOST_TEST(due_entries(*reader).empty());

  std::vector<task_id> erased;
  for (auto e :
       {reader->insert({make_task(3)}), reader->update({t}),
        reader->update({}, {{1, numbered_lines(1, "x")}}),
        reader->erase({1}, erased), reader->add_device("s9"),
        reader->put_account({"@a", "s1"}), reader->erase_account("@a")})
    BOOST_TEST(to_string(e) == "read_only");
  BOOST_TEST(reader->counts().total == 2u);
}

BOOST_AUTO_TEST_CASE(read_only_open_of_a_missing_directory_fails) {
  temp_dir dir;
  std::string error;
  auto missing = dir.path + "/none";
  BOOST_TEST(!store::open({missing, false, true}, error));
  BOOST_TEST(!error.empty());
  BOOST_TEST(!std::filesystem::exists(missing));
}

// -- inspection: for_each_task, info, check ----------------------------------

namespace {

// Tasks 1-3: pending and due, completed with a log, failed.
void write_inspected_store(store& db) {
  auto due = make_task(1, "s1", "post", task_status::pending, "ui");
  due.scheduled_at = 5000;
  due.queue_seq = 4;
  BOOST_REQUIRE(
    db.insert({due, make_task(2, "s2", "follow", task_status::completed),
               make_task(3, "s1", "post", task_status::failed)})
    == store_errc::ok);
  BOOST_REQUIRE(db.update({}, {{2, numbered_lines(2, "line")}})
                == store_errc::ok);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(for_each_task_walks_ascending_and_stops, fixture) {
  insert({make_task(3), make_task(5, "s2"), make_task(9)});
  std::vector<task_id> seen;
  auto until = [&](size_t n) {
    return [&seen, n](const task& t) {
      seen.push_back(t.id);
      return seen.size() < n;
    };
  };
  BOOST_TEST(to_string(db->for_each_task(until(10))) == "ok");
  BOOST_TEST(seen == (std::vector<task_id>{3, 5, 9}));
  seen.clear();
  BOOST_TEST(to_string(db->for_each_task(until(2))) == "ok");
  BOOST_TEST(seen == (std::vector<task_id>{3, 5}));

  db.reset();
  BOOST_REQUIRE(
    store::corrupt_for_test(dir.path, corruption::undecodable_task, 5));
  db = open(true);
  seen.clear();
  BOOST_TEST(to_string(db->for_each_task(until(10))) == "corrupt");
  BOOST_TEST(seen == (std::vector<task_id>{3}));
}

BOOST_FIXTURE_TEST_CASE(info_reports_ids_counts_and_families, fixture) {
  write_inspected_store(*db);
  BOOST_REQUIRE(db->add_device("s1") == store_errc::ok);
  BOOST_REQUIRE(db->put_account({"@a", "s1"}) == store_errc::ok);
  auto reader = open(true);
  store_info info;
  BOOST_REQUIRE_EQUAL(to_string(reader->info(info)), "ok");
  BOOST_TEST(info.path == dir.path);
  BOOST_TEST(info.schema_version == store::schema_version);
  BOOST_TEST(info.next_id == 4u);
  BOOST_TEST(info.next_queue_seq == 5u);
  BOOST_TEST(info.counts.total == 3u);
  BOOST_TEST(info.counts.by_status
             == (std::array<uint64_t, status_count>{1, 0, 1, 1}));
  std::vector<std::tuple<std::string, std::string, uint64_t>> values;
  for (auto& v : info.values)
    values.emplace_back(v.field, v.value, v.tasks);
  BOOST_TEST(values
             == (decltype(values){{"script", "follow", 1},
                                  {"script", "post", 2},
                                  {"serial", "s1", 2},
                                  {"serial", "s2", 1},
                                  {"source", "api", 2},
                                  {"source", "ui", 1}}));
  BOOST_TEST(info.devices == 1u);
  BOOST_TEST(info.accounts == 1u);
  BOOST_TEST(info.directory_bytes > 0u);
  BOOST_REQUIRE_EQUAL(info.families.size(), 12u);
  BOOST_TEST(info.families[0].name == "tasks");
  BOOST_TEST(info.families[0].estimated_keys == 3u);
  BOOST_TEST(info.families[1].name == "index");
  BOOST_TEST(info.families[1].estimated_keys == 1u); // task 1's due entry
  BOOST_TEST(info.families[6].name == "logs");
  BOOST_TEST(info.families[7].name == "events");
  BOOST_TEST(info.families[8].name == "webhooks");
  BOOST_TEST(info.families[11].name == "lists");
}

BOOST_FIXTURE_TEST_CASE(check_finds_nothing_in_a_sound_store, fixture) {
  write_inspected_store(*db);
  std::vector<task_id> erased;
  BOOST_REQUIRE(db->erase({3}, erased) == store_errc::ok);
  auto reader = open(true);
  BOOST_TEST(problems_of(*reader) == std::vector<std::string>{});
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  BOOST_TEST(to_string(reader->check([](const std::string&) {},
                                     [&](uint64_t done, uint64_t total) {
                                       progress.emplace_back(done, total);
                                     }))
             == "ok");
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST(progress.back().first == progress.back().second);
  BOOST_TEST(progress.back().second >= 2u);
}

BOOST_AUTO_TEST_CASE(check_reports_each_injected_inconsistency_once) {
  const std::vector<std::tuple<corruption, task_id, std::string>> cases{
    {corruption::stray_list_entry, 7,
     "entry of task 7 in list stream status pending source \"api\": no such "
     "task"},
    {corruption::wrong_list_stream, 3,
     "entry of task 3 in list stream serial \"s1-wrong\" status failed "
     "source \"api\": the task is not in it"},
    {corruption::wrong_bucket_count, 2,
     "count of bucket 0 of list stream status completed source \"api\" is 8, "
     "a recount gives 1"},
    {corruption::old_index_entry, 2,
     "index: a key of the per-field index, which version 5 deleted: 02"},
    {corruption::stale_next_id, 2, "next_id is 2, not above task 3"},
    {corruption::undecodable_task, 1, "task 1: the record cannot be decoded"},
    {corruption::drop_due_entry, 1, "task 1: pending and due at "},
    {corruption::orphan_log, 9, "log of task 9: no such task"},
    {corruption::drop_list_entry, 2,
     "task 2: no entry of task 2 in list stream status completed source "
     "\"api\""},
    {corruption::drop_queue_entry, 1,
     "task 1: pending, not in the queue of serial \"s1\""},
    {corruption::wrong_list_count, 3,
     "count of list stream status failed source \"api\" is 8, a recount "
     "gives 1"},
  };
  for (auto& [kind, id, reported] : cases)
    BOOST_TEST_CONTEXT(reported) {
      fixture f;
      write_inspected_store(*f.db);
      f.db.reset();
      BOOST_REQUIRE(store::corrupt_for_test(f.dir.path, kind, id));
      auto problems = problems_of(*f.open(true));
      BOOST_REQUIRE_EQUAL(problems.size(), 1u);
      BOOST_TEST(problems[0].find(reported) == 0, problems[0]);
    }
  // The hook refuses an id that does not fit the kind.
  fixture f;
  write_inspected_store(*f.db);
  f.db.reset();
  BOOST_TEST(!store::corrupt_for_test(f.dir.path, corruption::orphan_log, 2));
  BOOST_TEST(
    !store::corrupt_for_test(f.dir.path, corruption::drop_due_entry, 2));
  BOOST_TEST(
    !store::corrupt_for_test(f.dir.path, corruption::wrong_bucket_count, 9));
  BOOST_TEST(
    !store::corrupt_for_test(f.dir.path, corruption::stray_list_entry, 2));
}

// Tests of the store on a real RocksDB in a fresh temp dir per test: key
// encoding, records, inserts, updates and erases with their list entries
// and counts, ids and queue_seqs, status walks. storage_inspect.cpp holds
// the rest of the suite: logs, the due index, schema versions, read-only
// instances, info and check.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include "tests/storage_fixture.hpp"

using namespace tmx;
using namespace tmx::test::storage_suite;
using tmx::test::problems_of;
using tmx::test::temp_dir;

BOOST_AUTO_TEST_CASE(key_order) {
  // RocksDB's default order: bytes compared unsigned, as std::string does
  // (BOOST_TEST would compare a string's chars one by one, signed).
  auto before = [](const std::string& a, const std::string& b) {
    return a.compare(b) < 0;
  };
  std::vector<task_id> ids{0, 1, 255, 256, 65535, 1ull << 32, UINT64_MAX};
  for (size_t i = 1; i < ids.size(); ++i) {
    BOOST_TEST(before(keys::task_key(ids[i - 1]), keys::task_key(ids[i])));
    BOOST_TEST(keys::get_u64(keys::task_key(ids[i])) == ids[i]);
  }
  // A text that extends another does not start with its encoding.
  for (const auto& longer :
       {std::string("ab"), std::string("a\0", 2), std::string("a\xff\xff")}) {
    std::string a, b;
    keys::put_text(a, "a");
    keys::put_text(b, longer);
    BOOST_TEST(b.rfind(a, 0) == std::string::npos);
    std::string_view in = b, back;
    BOOST_TEST(keys::take_text(in, back));
    BOOST_TEST(back == longer);
    BOOST_TEST(in.empty());
  }

  // Due keys: time first (negative ones too), then id.
  std::vector<std::pair<millis, task_id>> due{{INT64_MIN, 5}, {-1, 2},
                                              {1, 1},         {1, 2},
                                              {256, 0},       {INT64_MAX, 0}};
  for (size_t i = 0; i < due.size(); ++i) {
    auto key = keys::due(due[i].first, due[i].second);
    BOOST_TEST(key.size() == keys::due_size);
    if (i > 0)
      BOOST_TEST(before(keys::due(due[i - 1].first, due[i - 1].second), key));
    millis at = 0;
    task_id id = 0;
    BOOST_TEST(keys::parse_due(key, at, id));
    BOOST_TEST((std::pair{at, id} == due[i]));
  }
  millis at = 0;
  task_id id = 0;
  // A key of the same size under another tag (the per-field index's, as
  // before version 5) is no due entry.
  auto other = keys::due(1, 1);
  other[0] = keys::first_retired_tag;
  BOOST_TEST(!keys::parse_due(other, at, id));
  BOOST_TEST(!keys::parse_due(keys::due(1, 1).substr(1), at, id));
}

BOOST_AUTO_TEST_CASE(codec_round_trip) {
  task t = make_task(42, std::string("s\0\xff", 3), "post", task_status::failed,
                     "ui");
  t.username = "@user";
  t.scheduled_at = -5;
  t.started_at = INT64_MAX;
  t.finished_at = INT64_MIN;
  t.retry_count = UINT32_MAX;
  t.remark = "timeout after 600 s";
  t.node = "host-1";
  t.queue_seq = UINT64_MAX;
  t.auto_retry_count = UINT32_MAX;
  t.schedule_id = UINT64_MAX;
  task back;
  BOOST_TEST(codec::decode(codec::encode(t), back));
  BOOST_TEST((back == t));

  auto bytes = codec::encode(t);
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!codec::decode(std::string_view(bytes).substr(0, n), back));
  BOOST_TEST(!codec::decode(bytes + "x", back));
  auto other_format = bytes;
  for (int format : {0, codec::task_format + 1}) {
    other_format[0] = char(format);
    BOOST_TEST(!codec::decode(other_format, back));
  }

  account a{"@a", "s1", "instagram", false};
  account a2;
  BOOST_TEST(codec::decode(codec::encode(a), a2));
  auto account_fields = [](const account& x) {
    return std::tie(x.username, x.serial, x.platform, x.enabled);
  };
  BOOST_TEST((account_fields(a2) == account_fields(a)));

  idempotency_record r{"key", "digest", {1, 300, 1ull << 40}, 1234};
  idempotency_record r2;
  BOOST_TEST(codec::decode(codec::encode(r), r2));
  auto record_fields = [](const idempotency_record& x) {
    return std::tie(x.key, x.fingerprint, x.task_ids, x.created_at);
  };
  BOOST_TEST((record_fields(r2) == record_fields(r)));

  std::vector<log_line> lines{{-1, ""}, {INT64_MAX, std::string("a\0\n", 3)}};
  std::vector<log_line> lines2;
  auto log_bytes = codec::encode(lines);
  BOOST_TEST(codec::decode(log_bytes, lines2));
  BOOST_TEST(same_lines(lines2, lines));
  for (size_t n = 0; n < log_bytes.size(); ++n)
    BOOST_TEST(
      !codec::decode(std::string_view(log_bytes).substr(0, n), lines2));
  BOOST_TEST(!codec::decode(log_bytes + "x", lines2));
  BOOST_TEST(codec::decode(codec::encode(std::vector<log_line>{}), lines2));
  BOOST_TEST(lines2.empty());
}

BOOST_AUTO_TEST_CASE(codec_reads_task_format_1) {
  // Written by the format-1 encoder, before auto_retry_count existed.
  const std::string v1
    = "\x01\x07\x02\x73\x31\x02\x40\x75\x04\x70\x6f\x73\x74\x02\x7b\x7d"
      "\x03\x02\x75\x69\xd0\x0f\x03\x06\xd8\x04\x02\x01\x72\x01\x6e\x81"
      "\x01";
  task want = make_task(7, "s1", "post", task_status::failed, "ui");
  want.username = "@u";
  want.script_config = "{}";
  want.scheduled_at = 1000;
  want.created_at = -2;
  want.started_at = 3;
  want.finished_at = 300;
  want.retry_count = 2;
  want.remark = "r";
  want.node = "n";
  want.queue_seq = 129;
  task back;
  back.auto_retry_count = 9; // must be reset
  BOOST_TEST(codec::decode(v1, back));
  BOOST_TEST((back == want));
  BOOST_TEST(back.auto_retry_count == 0u);
  BOOST_TEST(!codec::decode(v1 + '\0', back)); // v1 has no such field

  // Format 2 is v1 with auto_retry_count appended; it has no exit code.
  want.auto_retry_count = 3;
  auto v2 = "\x02" + v1.substr(1) + '\x03';
  back.exit_code = 5; // must be reset
  BOOST_TEST(codec::decode(v2, back));
  BOOST_TEST((back == want));
  // Format 3 appends the exit code (zigzag: -1 is 1, 2 is 4).
  auto v3 = "\x03" + v2.substr(1) + '\x01';
  back.schedule_id = 8; // must be reset
  BOOST_TEST(codec::decode(v3, back));
  BOOST_TEST((back == want));
  auto bad = v2 + '\x80';
  bad[0] = char(3);
  BOOST_TEST(!codec::decode(bad, back));
  // The current format, 4, appends the schedule id (0: none).
  auto v4 = codec::encode(want);
  BOOST_TEST(v4[0] == char(4));
  BOOST_TEST((v4.substr(1) == v3.substr(1) + '\x00'));
  want.exit_code = 2;
  want.schedule_id = 300;
  BOOST_TEST((codec::encode(want).substr(1) == v2.substr(1) + "\x04\xac\x02"));
  BOOST_TEST(codec::decode(codec::encode(want), back));
  BOOST_TEST((back == want));
  BOOST_TEST(!codec::decode(v3 + '\x00', back)); // v3 has no schedule id
}

BOOST_FIXTURE_TEST_CASE(insert_and_get, fixture) {
  BOOST_TEST(db->next_id() == 1u);
  insert({make_task(1), make_task(2, "s2"), make_task(3, "s3")});
  BOOST_TEST((must_get(2) == make_task(2, "s2")));
  task t;
  BOOST_TEST(to_string(db->get(4, t)) == "not_found");
  BOOST_TEST(db->next_id() == 4u);
  // Below next_id, or twice in one call: refused, nothing written.
  BOOST_TEST(to_string(db->insert({make_task(2)})) == "io_error");
  BOOST_TEST(to_string(db->insert({make_task(5), make_task(5)})) == "io_error");
  BOOST_TEST(to_string(db->get(5, t)) == "not_found");
  BOOST_TEST(db->counts().total == 3u);
}

BOOST_FIXTURE_TEST_CASE(update_moves_index_entries_and_counts, fixture) {
  insert({make_task(1), make_task(2)});
  task moved = make_task(1, "s2", "follow", task_status::running, "ui");
  BOOST_TEST(to_string(db->update({moved})) == "ok");
  BOOST_TEST((must_get(1) == moved));
  BOOST_TEST(ids(by_status(task_status::pending)) == std::vector<task_id>{2});
  BOOST_TEST(ids(by_status(task_status::running)) == std::vector<task_id>{1});
  BOOST_TEST(ids(by_serial("s1")) == std::vector<task_id>{2});
  BOOST_TEST(ids(by_serial("s2")) == std::vector<task_id>{1});
  auto c = db->counts();
  BOOST_TEST(c.total == 2u);
  BOOST_TEST(c.by_status[0] == 1u);
  BOOST_TEST(c.by_status[1] == 1u);

  // Twice in one call: the second change starts from the first.
  auto done = moved;
  done.status = task_status::completed;
  BOOST_TEST(to_string(db->update({make_task(1), done})) == "ok");
  BOOST_TEST(ids(by_status(task_status::pending)) == std::vector<task_id>{2});
  BOOST_TEST(ids(by_status(task_status::completed)) == std::vector<task_id>{1});

  // One missing id: nothing written.
  BOOST_TEST(to_string(db->update({make_task(1), make_task(9)}))
             == "not_found");
  BOOST_TEST((must_get(1) == done));
  BOOST_TEST(db->counts().by_status[2] == 1u);
}

BOOST_FIXTURE_TEST_CASE(erase_skips_missing_and_repeated_ids, fixture) {
  insert({make_task(1), make_task(2), make_task(3, "s2")});
  std::vector<task_id> erased;
  BOOST_TEST(to_string(db->erase({3, 99, 3, 1}, erased)) == "ok");
  BOOST_TEST(erased == (std::vector<task_id>{3, 1}));
  task t;
  BOOST_TEST(to_string(db->get(3, t)) == "not_found");
  BOOST_TEST(ids({}) == std::vector<task_id>{2});
  BOOST_TEST(ids(by_serial("s2")).empty());
  BOOST_TEST(db->counts().total == 1u);
  BOOST_TEST(to_string(db->erase({1, 3}, erased)) == "ok");
  BOOST_TEST(erased.empty());
}

BOOST_FIXTURE_TEST_CASE(list_pages_newest_first_with_every_filter, fixture) {
  std::map<task_id, task> model;
  std::vector<task> batch;
  for (task_id id = 1; id <= 40; ++id) {
    auto t = make_task(id, serials[id % 3], scripts[id % 2 == 0],
                       static_cast<task_status>(id % 4), sources[id % 5 == 0]);
    model[id] = t;
    batch.push_back(t);
  }
  insert(batch);
  for (const auto& f : all_filters()) {
    auto want = expected_ids(model, f);
    uint64_t total = 0;
    BOOST_TEST(ids(f, &total, 3) == want);
    BOOST_TEST(total == want.size());
  }
  // Beyond the last page: empty, total still right.
  task_page p;
  BOOST_TEST(to_string(db->list(by_serial("s1"), 100, 20, p)) == "ok");
  BOOST_TEST(p.tasks.empty());
  BOOST_TEST(p.total == expected_ids(model, by_serial("s1")).size());
  BOOST_TEST(to_string(db->list(by_serial("nobody"), 1, 20, p)) == "ok");
  BOOST_TEST(p.tasks.empty());
  BOOST_TEST(p.total == 0u);
}

BOOST_FIXTURE_TEST_CASE(counts_exact_after_many_mixed_ops, fixture) {
  std::map<task_id, task> model;
  std::mt19937 rng{12345}; // fixed: the same operations every run
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  for (int round = 0; round < 300; ++round) {
    auto op = pick(3);
    if (op == 0 || model.empty()) {
      std::vector<task> batch;
      for (size_t n = 1 + pick(3); n > 0; --n) {
        auto t = make_task(db->next_id() + batch.size(),
                           serials[pick(serials.size())]);
        batch.push_back(t);
        model[t.id] = t;
      }
      insert(batch);
    } else {
      auto it = std::next(model.begin(), pick(model.size()));
      if (op == 1) {
        it->second.status = static_cast<task_status>(pick(status_count));
        it->second.serial = serials[pick(serials.size())];
        it->second.script_name = scripts[pick(scripts.size())];
        it->second.source = sources[pick(sources.size())];
        it->second.scheduled_at = static_cast<millis>(pick(3)) * 1000;
        BOOST_REQUIRE(db->update({it->second}) == store_errc::ok);
      } else {
        std::vector<task_id> erased;
        BOOST_REQUIRE(db->erase({it->first}, erased) == store_errc::ok);
        model.erase(it);
      }
    }
  }
  check_counts(*db, model);
  BOOST_TEST(due_entries(*db) == expected_due(model));
  db = reopen();
  check_counts(*db, model);
  BOOST_TEST(due_entries(*db) == expected_due(model));
  for (const auto& f : all_filters()) {
    uint64_t total = 0;
    BOOST_TEST(ids(f, &total) == expected_ids(model, f));
    BOOST_TEST(total == expected_ids(model, f).size());
  }
  BOOST_TEST(problems_of(*db) == std::vector<std::string>{});
}

BOOST_FIXTURE_TEST_CASE(ids_are_never_reused, fixture) {
  insert({make_task(1), make_task(2), make_task(3)});
  std::vector<task_id> erased;
  BOOST_REQUIRE(db->erase({3}, erased) == store_errc::ok);
  BOOST_TEST(db->next_id() == 4u);
  db = reopen();
  BOOST_TEST(db->next_id() == 4u);
  BOOST_TEST(to_string(db->insert({make_task(3)})) == "io_error");
  insert({make_task(10)});
  db = reopen();
  BOOST_TEST(db->next_id() == 11u);
}

BOOST_FIXTURE_TEST_CASE(queue_seq_persists, fixture) {
  BOOST_TEST(db->next_queue_seq() == 1u);
  auto t = make_task(1);
  t.queue_seq = 10;
  insert({t});
  BOOST_TEST(db->next_queue_seq() == 11u);
  t.queue_seq = 20;
  BOOST_REQUIRE(db->update({t}) == store_errc::ok);
  db = reopen();
  BOOST_TEST(db->next_queue_seq() == 21u);
}

BOOST_FIXTURE_TEST_CASE(for_each_with_status_walks_ascending, fixture) {
  // Each status's tasks are in one stream per source, interleaved by id,
  // and moved in and out of it: the walk merges the streams.
  const std::vector<std::string> three_sources{"api", "ui", "schedule"};
  std::map<task_id, task> model;
  std::mt19937 rng{2026}; // fixed: the same tasks every run
  std::vector<task> batch;
  for (task_id id = 1; id <= 90; ++id)
    batch.push_back(
      model[id] = make_task(id, serials[rng() % 3], scripts[rng() % 2],
                            static_cast<task_status>(rng() % status_count),
                            three_sources[rng() % 3]));
  insert(batch);
  std::vector<task> moved;
  std::vector<task_id> gone, erased;
  for (auto& [id, t] : model)
    if (id % 7 == 0) {
      t.status = task_status::failed;
      t.source = three_sources[id % 3];
      moved.push_back(t);
    } else if (id % 11 == 0) {
      gone.push_back(id);
    }
  BOOST_REQUIRE(db->update(moved) == store_errc::ok);
  BOOST_REQUIRE(db->erase(gone, erased) == store_errc::ok);
  for (auto id : gone)
    model.erase(id);

  auto check = [&](const store& s) {
    for (int i = 0; i < status_count; ++i) {
      auto status = static_cast<task_status>(i);
      auto want = ids_with(model, status);
      BOOST_REQUIRE_GT(want.size(), 3u);
      BOOST_TEST(with_status(s, status, model) == want);
      // Stops when told to.
      BOOST_TEST(with_status(s, status, model, 3)
                 == std::vector<task_id>(want.begin(), want.begin() + 3));
    }
  };
  check(*db);
  db = reopen();
  check(*db);
  db.reset();
  check(*open(true));
}

// Tests of the store on a real RocksDB in a fresh temp dir per test: key
// encoding, records, indexes (the due index too), counts, task logs,
// persistence, schema migration and read-only access.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "tests/store_testing.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

using namespace tmx;
using tmx::test::problems_of;
using tmx::test::temp_dir;

namespace tmx {

// Lets Boost.Test print a failed comparison of error codes.
std::ostream& operator<<(std::ostream& out, store_errc e) {
  return out << to_string(e);
}

} // namespace tmx

namespace {

// The ids of every page of list(), in order; `total` as the pages say.
std::vector<task_id> list_ids(const store& s, const task_filter& f,
                              uint64_t* total = nullptr,
                              uint32_t page_size = 100) {
  std::vector<task_id> out;
  task_page p;
  for (uint32_t page = 1;; ++page) {
    BOOST_REQUIRE_EQUAL(to_string(s.list(f, page, page_size, p)), "ok");
    BOOST_REQUIRE_LE(p.tasks.size(), page_size);
    for (const auto& t : p.tasks)
      out.push_back(t.id);
    if (total != nullptr)
      *total = p.total;
    if (p.tasks.size() < page_size)
      return out;
  }
}

struct fixture {
  temp_dir dir;
  std::unique_ptr<store> db = open();

  std::unique_ptr<store> open(bool read_only = false) {
    std::string error;
    auto s = store::open({dir.path, false, read_only}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  std::unique_ptr<store> reopen() {
    db.reset(); // RocksDB's lock allows one writer
    return open();
  }

  void insert(std::vector<task> tasks) {
    BOOST_REQUIRE_EQUAL(to_string(db->insert(tasks)), "ok");
  }

  task must_get(task_id id) {
    task t;
    BOOST_REQUIRE_EQUAL(to_string(db->get(id, t)), "ok");
    return t;
  }

  std::vector<task_id> ids(const task_filter& f, uint64_t* total = nullptr,
                           uint32_t page_size = 100) {
    return list_ids(*db, f, total, page_size);
  }
};

using due_list = std::vector<std::pair<millis, task_id>>;

// What for_each_due(from, until) reports, all of it.
due_list due_entries(const store& s, millis from = INT64_MIN,
                     millis until = INT64_MAX) {
  due_list out;
  BOOST_REQUIRE_EQUAL(to_string(s.for_each_due(from, until,
                                               [&](millis due, task_id id) {
                                                 out.emplace_back(due, id);
                                                 return true;
                                               })),
                      "ok");
  return out;
}

// What the due index must hold for `model`.
due_list expected_due(const std::map<task_id, task>& model) {
  due_list out;
  for (const auto& [id, t] : model)
    if (t.status == task_status::pending && t.scheduled_at != 0)
      out.emplace_back(t.scheduled_at, id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<log_line> numbered_lines(size_t n, const std::string& text) {
  std::vector<log_line> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({static_cast<millis>(i), text + " " + std::to_string(i)});
  return out;
}

bool same_lines(const std::vector<log_line>& a,
                const std::vector<log_line>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const log_line& x, const log_line& y) {
                      return x.at == y.at && x.text == y.text;
                    });
}

task make_task(task_id id, std::string serial = "s1",
               std::string script = "post",
               task_status status = task_status::pending,
               std::string source = "api") {
  task t;
  t.id = id;
  t.serial = std::move(serial);
  t.script_name = std::move(script);
  t.status = status;
  t.source = std::move(source);
  t.script_config = R"({"captions":"hi"})";
  t.created_at = 1700000000000 + static_cast<millis>(id);
  return t;
}

task_filter by_status(task_status s) {
  task_filter f;
  f.status = s;
  return f;
}

task_filter by_serial(std::string serial) {
  task_filter f;
  f.serial = std::move(serial);
  return f;
}

bool matches(const task& t, const task_filter& f) {
  return (!f.status || t.status == *f.status)
         && (f.serial.empty() || t.serial == f.serial)
         && (f.script_name.empty() || t.script_name == f.script_name)
         && (f.source.empty() || t.source == f.source);
}

// What list() must return: the ids of `model` matching `f`, newest first.
std::vector<task_id> expected_ids(const std::map<task_id, task>& model,
                                  const task_filter& f) {
  std::vector<task_id> out;
  for (auto i = model.rbegin(); i != model.rend(); ++i)
    if (matches(i->second, f))
      out.push_back(i->first);
  return out;
}

task_counts recount(const std::map<task_id, task>& model) {
  task_counts c;
  for (const auto& [id, t] : model) {
    ++c.total;
    ++c.by_status[static_cast<size_t>(t.status)];
  }
  return c;
}

void check_counts(const store& db, const std::map<task_id, task>& model) {
  auto got = db.counts();
  auto want = recount(model);
  BOOST_TEST(got.total == want.total);
  BOOST_TEST(got.by_status == want.by_status);
}

const std::vector<std::string> serials{"s1", "s2", "s3"};
const std::vector<std::string> scripts{"post", "follow"};
const std::vector<std::string> sources{"api", "ui"};

// Every single filter and every pair, over the values the tests use.
std::vector<task_filter> all_filters() {
  std::vector<task_filter> singles{task_filter{}};
  for (int s = 0; s < status_count; ++s)
    singles.push_back(by_status(static_cast<task_status>(s)));
  for (const auto& v : serials)
    singles.push_back(by_serial(v));
  for (const auto& v : scripts)
    singles.emplace_back().script_name = v;
  for (const auto& v : sources)
    singles.emplace_back().source = v;
  std::vector<task_filter> out = singles;
  for (const auto& a : singles)
    for (const auto& b : singles) {
      task_filter both = a;
      if (b.status)
        both.status = b.status;
      for (auto [to, from] : {std::pair{&both.serial, &b.serial},
                              std::pair{&both.script_name, &b.script_name},
                              std::pair{&both.source, &b.source}})
        if (!from->empty())
          *to = *from;
      out.push_back(both);
    }
  return out;
}

} // namespace

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

namespace {

// What for_each_with_status(status) hands on, up to `limit` tasks; each
// must be the task of `model` with that id, and have the status.
std::vector<task_id> with_status(const store& s, task_status status,
                                 const std::map<task_id, task>& model,
                                 size_t limit = SIZE_MAX) {
  std::vector<task_id> out;
  BOOST_REQUIRE_EQUAL(
    to_string(s.for_each_with_status(status,
                                     [&](const task& t) {
                                       BOOST_TEST((t == model.at(t.id)));
                                       out.push_back(t.id);
                                       return out.size() < limit;
                                     })),
    "ok");
  return out;
}

// The ids of `model` with `status`, ascending.
std::vector<task_id> ids_with(const std::map<task_id, task>& model,
                              task_status status) {
  std::vector<task_id> out;
  for (const auto& [id, t] : model)
    if (t.status == status)
      out.push_back(id);
  return out;
}

} // namespace

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

// The fixture and helpers of the storage suite (storage.cpp,
// storage_inspect.cpp): a store on a real RocksDB in a fresh temp dir, a
// model of what it holds, and the lists, counts and due entries to compare.
#pragma once

#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "tests/store_testing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

namespace tmx {

// Lets Boost.Test print a failed comparison of error codes.
inline std::ostream& operator<<(std::ostream& out, store_errc e) {
  return out << to_string(e);
}

} // namespace tmx

namespace tmx::test::storage_suite {

// The ids of every page of list(), in order; `total` as the pages say.
inline std::vector<task_id> list_ids(const store& s, const task_filter& f,
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
inline due_list due_entries(const store& s, millis from = INT64_MIN,
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
inline due_list expected_due(const std::map<task_id, task>& model) {
  due_list out;
  for (const auto& [id, t] : model)
    if (t.status == task_status::pending && t.scheduled_at != 0)
      out.emplace_back(t.scheduled_at, id);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<log_line> numbered_lines(size_t n, const std::string& text) {
  std::vector<log_line> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({static_cast<millis>(i), text + " " + std::to_string(i)});
  return out;
}

inline bool same_lines(const std::vector<log_line>& a,
                       const std::vector<log_line>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const log_line& x, const log_line& y) {
                      return x.at == y.at && x.text == y.text;
                    });
}

inline task make_task(task_id id, std::string serial = "s1",
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

inline task_filter by_status(task_status s) {
  task_filter f;
  f.status = s;
  return f;
}

inline task_filter by_serial(std::string serial) {
  task_filter f;
  f.serial = std::move(serial);
  return f;
}

inline bool matches(const task& t, const task_filter& f) {
  return (!f.status || t.status == *f.status)
         && (f.serial.empty() || t.serial == f.serial)
         && (f.script_name.empty() || t.script_name == f.script_name)
         && (f.source.empty() || t.source == f.source);
}

// What list() must return: the ids of `model` matching `f`, newest first.
inline std::vector<task_id> expected_ids(const std::map<task_id, task>& model,
                                         const task_filter& f) {
  std::vector<task_id> out;
  for (auto i = model.rbegin(); i != model.rend(); ++i)
    if (matches(i->second, f))
      out.push_back(i->first);
  return out;
}

inline task_counts recount(const std::map<task_id, task>& model) {
  task_counts c;
  for (const auto& [id, t] : model) {
    ++c.total;
    ++c.by_status[static_cast<size_t>(t.status)];
  }
  return c;
}

inline void check_counts(const store& db,
                         const std::map<task_id, task>& model) {
  auto got = db.counts();
  auto want = recount(model);
  BOOST_TEST(got.total == want.total);
  BOOST_TEST(got.by_status == want.by_status);
}

inline const std::vector<std::string> serials{"s1", "s2", "s3"};
inline const std::vector<std::string> scripts{"post", "follow"};
inline const std::vector<std::string> sources{"api", "ui"};

// Every single filter and every pair, over the values the tests use.
inline std::vector<task_filter> all_filters() {
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

// What for_each_with_status(status) hands on, up to `limit` tasks; each
// must be the task of `model` with that id, and have the status.
inline std::vector<task_id> with_status(const store& s, task_status status,
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
inline std::vector<task_id> ids_with(const std::map<task_id, task>& model,
                                     task_status status) {
  std::vector<task_id> out;
  for (const auto& [id, t] : model)
    if (t.status == status)
      out.push_back(id);
  return out;
}

} // namespace tmx::test::storage_suite

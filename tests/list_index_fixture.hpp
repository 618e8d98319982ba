// What the files of the list_index suite share (list_index.cpp,
// list_index_migration.cpp): a store filled with random tasks beside a
// model of them, every filter combination, and a page checked against the
// model.
#pragma once

#include "storage/store.hpp"
#include "tests/store_testing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tmx::test {

inline const std::vector<std::string> serials{"s1", "s2", "s3"};
inline const std::vector<std::string> scripts{"post", "follow"};
inline const std::vector<std::string> sources{"api", "ui", "schedule"};

struct fixture {
  temp_dir dir;
  std::unique_ptr<store> db = open();
  std::map<task_id, task> model;
  std::mt19937_64 rng{20261201};

  std::unique_ptr<store> open(bool read_only = false) {
    std::string error;
    auto s = store::open({dir.path, false, read_only}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[rng() % from.size()];
  }

  task random_task(task_id id) {
    task t;
    t.id = id;
    t.serial = pick(serials);
    t.script_name = pick(scripts);
    t.source = pick(sources);
    t.status = static_cast<task_status>(rng() % status_count);
    t.script_config = "{}";
    t.created_at = 1700000000000 + static_cast<millis>(id);
    t.queue_seq = id * 2;
    if (rng() % 3 == 0)
      t.username = "@u" + std::to_string(rng() % 5);
    if (rng() % 4 == 0)
      t.scheduled_at = t.created_at + static_cast<millis>(rng() % 5000);
    if (t.status == task_status::completed || t.status == task_status::failed)
      t.finished_at = t.created_at + static_cast<millis>(rng() % 1000);
    return t;
  }

  // `n` tasks in batches, then a third of them moved to another status and
  // a tenth erased.
  void fill(size_t n) {
    task_id next = db->next_id();
    for (size_t done = 0; done < n;) {
      std::vector<task> batch;
      for (; batch.size() < 1000 && done < n; ++done, ++next)
        batch.push_back(model[next] = random_task(next));
      BOOST_REQUIRE(db->insert(batch) == store_errc::ok);
    }
    std::vector<task> moved;
    std::vector<task_id> gone;
    for (auto& [id, t] : model) {
      auto r = rng() % 30;
      if (r < 10) {
        t.status = static_cast<task_status>(rng() % status_count);
        t.finished_at = t.active() ? 0 : t.created_at + 5;
        if (r < 3)
          t.queue_seq += 1; // a retry or a wake: a new place
        moved.push_back(t);
      } else if (r < 13) {
        gone.push_back(id);
      }
      if (moved.size() == 1000) {
        BOOST_REQUIRE(db->update(moved) == store_errc::ok);
        moved.clear();
      }
    }
    BOOST_REQUIRE(db->update(moved) == store_errc::ok);
    std::vector<task_id> erased;
    BOOST_REQUIRE(db->erase(gone, erased) == store_errc::ok);
    BOOST_REQUIRE_EQUAL(erased.size(), gone.size());
    for (auto id : gone)
      model.erase(id);
  }

  std::vector<task_id> expected(const task_filter& f) const {
    std::vector<task_id> out;
    for (auto i = model.rbegin(); i != model.rend(); ++i) {
      const auto& t = i->second;
      if ((!f.status || t.status == *f.status)
          && (f.serial.empty() || t.serial == f.serial)
          && (f.script_name.empty() || t.script_name == f.script_name)
          && (f.source.empty() || t.source == f.source))
        out.push_back(i->first);
    }
    return out;
  }
};

// Every combination of the four filters over the values the tests use,
// "any" included: 5 × 4 × 3 × 4 = 240.
inline std::vector<task_filter> all_filters() {
  std::vector<task_filter> out;
  for (int s = -1; s < status_count; ++s)
    for (size_t a = 0; a <= serials.size(); ++a)
      for (size_t b = 0; b <= scripts.size(); ++b)
        for (size_t c = 0; c <= sources.size(); ++c) {
          task_filter f;
          if (s >= 0)
            f.status = static_cast<task_status>(s);
          f.serial = a < serials.size() ? serials[a] : "";
          f.script_name = b < scripts.size() ? scripts[b] : "";
          f.source = c < sources.size() ? sources[c] : "";
          out.push_back(f);
        }
  return out;
}

inline std::string name(const task_filter& f) {
  return "status=" + (f.status ? std::to_string(int(*f.status)) : "*")
         + " serial=" + f.serial + " script=" + f.script_name
         + " source=" + f.source;
}

// The page `page` of `f` against the model: its tasks and its total.
inline void check_page(const fixture& fx, const store& db, const task_filter& f,
                       const std::vector<task_id>& want, uint32_t page,
                       uint32_t size) {
  task_page p;
  BOOST_REQUIRE_EQUAL(to_string(db.list(f, page, size, p)), "ok");
  BOOST_TEST(p.total == want.size());
  std::vector<task_id> got;
  for (const auto& t : p.tasks) {
    got.push_back(t.id);
    BOOST_TEST((t == fx.model.at(t.id)));
  }
  size_t from = std::min(want.size(), size_t{page - 1} * size);
  std::vector<task_id> slice(want.begin() + from,
                             want.begin() + std::min(want.size(), from + size));
  BOOST_TEST(got == slice, name(f) << " page " << page << " size " << size);
}

} // namespace tmx::test

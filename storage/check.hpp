// What the walks of store::check share (inspect.cpp, check_index.cpp,
// check_lists.cpp): the state handed from one walk to the next, the
// order-independent digest of a set of index keys, and how a problem
// report names values and keys.
// Private to storage/.
#pragma once

#include "storage/engine.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace tmx::engine {

// How a problem report names a field's value: `field` and the value quoted,
// control bytes escaped (a report is one line); a status by its name.
std::string shown(std::string_view field, std::string_view value);
std::string shown_status(uint8_t status);

// A malformed key, shown in hex.
std::string hex(std::string_view key);

// An order-independent digest of a set of index keys: equal sets give
// equal digests, and different ones, but for a chance of 2^-64, different
// ones.
struct digest {
  uint64_t count = 0;
  uint64_t sum = 0;

  void add(std::string_view key) {
    // splitmix64's finaliser, so that related keys do not cancel out.
    uint64_t h = std::hash<std::string_view>{}(key);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    sum += h ^ (h >> 31);
    ++count;
  }

  bool operator!=(const digest& o) const {
    return count != o.count || sum != o.sum;
  }
};

// What the walks of store::check learn and hand on to the later ones.
struct check_state {
  check_state(const std::function<void(const std::string&)>& r,
              const std::function<void(uint64_t, uint64_t)>& p)
    : report(r), progress(p) {}

  const std::function<void(const std::string&)>& report;
  const std::function<void(uint64_t, uint64_t)>& progress;
  uint64_t done = 0;
  uint64_t total = 0; // estimate: the keys walked, from the counts
  uint64_t tasks = 0; // task records, decodable or not
  task_id max_id = 0;
  uint64_t max_queue_seq = 0;
  std::set<task_id> undecodable;
  digest due_expected; // the due entries the tasks call for
  std::map<std::string, int64_t> list_recount; // list count key → tasks
  digest list_expected;              // the list entries the tasks call for
  store_errc error = store_errc::ok; // a read failed: stop

  // One more key walked; progress every few thousand keys.
  void tick() {
    if (++done % 4096 == 0 && progress)
      progress(std::min(done, total), total);
  }
};

} // namespace tmx::engine

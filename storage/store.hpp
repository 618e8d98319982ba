// The durable store of tmx: tasks, their indexes and counters, accounts,
// known devices and idempotency keys, in one RocksDB database. This header
// is the only interface to it; no other file includes RocksDB headers.
//
// Not thread-safe for writers: the store actor is its only writer and
// serialises every call. Read-only instances (tmxctl) may run beside it.
#pragma once

#include "model/task.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tmx {

/// Empty strings / nullopt mean "any".
struct task_filter {
  std::optional<task_status> status;
  std::string serial;
  std::string script_name;
  std::string source;
};

struct task_page {
  std::vector<task> tasks; // newest first (id descending)
  uint64_t total = 0;      // all tasks matching the filter
};

struct task_counts {
  uint64_t total = 0;
  std::array<uint64_t, status_count> by_status{}; // indexed by task_status
};

struct account {
  std::string username; // exactly as given: "@a" and "a" differ
  std::string serial;
  std::string platform = "tiktok"; // "tiktok" | "instagram"
  bool enabled = true;
};

/// Remembers the reply of a successful create for a client's
/// Idempotency-Key, so that a repeated request creates nothing.
struct idempotency_record {
  std::string key;
  std::string fingerprint; // digest of the request body
  std::vector<task_id> task_ids;
  millis created_at = 0;
};

enum class store_errc : uint8_t {
  ok = 0,
  not_found,       // a task/account the call needs does not exist
  io_error,        // RocksDB reported a failure
  corrupt,         // a record could not be decoded
  schema_mismatch, // the data directory has another schema version
  read_only,       // a write on a read-only instance
};

const char* to_string(store_errc e);

class store {
public:
  static constexpr uint32_t schema_version = 1;

  struct options {
    std::string path;
    bool sync = false;      // fsync the WAL on every write (power-loss safe)
    bool read_only = false; // open as a secondary instance, never write
  };

  /// Opens (creating if missing, unless read_only) and checks the schema
  /// version. On failure returns nullptr and a message for an operator.
  static std::unique_ptr<store> open(const options& opts, std::string& error);

  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// The id the next created task gets: above every id ever stored,
  /// deleted ones included.
  task_id next_id() const;

  /// Above every queue_seq ever stored.
  uint64_t next_queue_seq() const;

  // -- tasks ----------------------------------------------------------------

  /// Stores new tasks (ids assigned by the caller, each >= next_id()),
  /// their index entries, the counters, next_id and, when given, the
  /// idempotency record, in one atomic write. An id below next_id() or
  /// given twice is refused (io_error, nothing written): ids are never
  /// reused.
  store_errc insert(const std::vector<task>& tasks,
                    const idempotency_record* key = nullptr);

  /// Replaces existing tasks (matched by id), moving their index entries and
  /// counters, in one atomic write. not_found (and nothing written) if any
  /// of them does not exist.
  store_errc update(const std::vector<task>& tasks);

  /// Deletes the tasks that exist among `ids` in one atomic write; `erased`
  /// receives the ids that existed, in the order given, each once.
  store_errc erase(const std::vector<task_id>& ids,
                   std::vector<task_id>& erased);

  store_errc get(task_id id, task& out) const;

  /// One page (1-based) of the tasks matching `filter`, newest first.
  /// Walks an index, never the whole task table; `total` comes from a
  /// counter when at most one filter is set.
  store_errc list(const task_filter& filter, uint32_t page,
                  uint32_t page_size, task_page& out) const;

  /// Exact, from counters.
  task_counts counts() const;

  /// Calls `f` for every task with `status`, ascending id, by walking the
  /// status index. Stops early when `f` returns false.
  store_errc for_each_with_status(task_status status,
                                  const std::function<bool(const task&)>& f)
    const;

  // -- idempotency keys -----------------------------------------------------

  /// not_found when the key was never stored.
  store_errc find_idempotency(const std::string& key,
                              idempotency_record& out) const;

  // -- devices and accounts -------------------------------------------------

  /// Remembers that a device host has seen this serial.
  store_errc add_device(const std::string& serial);
  std::vector<std::string> devices() const;

  store_errc put_account(const account& a);
  store_errc erase_account(const std::string& username);
  store_errc get_account(const std::string& username, account& out) const;
  std::vector<account> accounts() const;

  /// Test hook: overwrites the schema version of the (closed) database at
  /// `path`, so that tests can check that open() refuses another version.
  static bool write_schema_version_for_test(const std::string& path,
                                            uint32_t version);

private:
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace tmx

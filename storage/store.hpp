// The durable store of tmx: tasks, their indexes and counts, task logs,
// accounts, known devices, device groups and idempotency keys, in one
// RocksDB database.
// This header is the only interface to it; no other file includes RocksDB
// headers.
//
// Not thread-safe for writers: the store actor is its only writer and
// serialises every call. Read-only instances (tmxctl) may run beside it,
// and inspect it: info(), check(), for_each_task().
#pragma once

#include "model/account.hpp"
#include "model/event.hpp"
#include "model/group.hpp"
#include "model/idempotency.hpp"
#include "model/schedule.hpp"
#include "model/task.hpp"
#include "model/task_log.hpp"
#include "model/task_query.hpp"
#include "model/webhook.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tmx {

enum class store_errc : uint8_t {
  ok = 0,
  not_found,       // a task/account the call needs does not exist
  io_error,        // RocksDB reported a failure
  corrupt,         // a record could not be decoded
  schema_mismatch, // the data directory has another schema version
  read_only,       // a write on a read-only instance
};

const char* to_string(store_errc e);

/// One column family's size and key count, as RocksDB estimates them.
struct family_info {
  std::string name;
  uint64_t live_data_bytes = 0; // rocksdb.estimate-live-data-size
  uint64_t sst_bytes = 0;       // rocksdb.total-sst-files-size
  uint64_t memtable_bytes = 0;  // rocksdb.cur-size-all-mem-tables
  uint64_t estimated_keys = 0;  // rocksdb.estimate-num-keys
};

/// How many tasks have one value of a field (from the list index's totals).
struct value_count {
  std::string field; // "serial", "script" or "source"
  std::string value;
  uint64_t tasks = 0;
};

/// What an operator wants to know about a data directory (tmxctl db info).
struct store_info {
  std::string path;
  uint64_t schema_version = 0;     // as stored
  task_id next_id = 0;             // as stored (0: none stored yet)
  uint64_t next_queue_seq = 0;     // as stored
  task_counts counts;              // as counts() says
  std::vector<value_count> values; // by field, then value; none with 0
  uint64_t devices = 0;
  uint64_t accounts = 0;
  uint64_t groups = 0;
  uint64_t schedules = 0;
  uint64_t expired = 0;         // deleted by retention, ever
  uint64_t directory_bytes = 0; // every file of the directory, WAL included
  // The store's families in their order (engine.hpp), then any other the
  // database has (one a writer has yet to drop: counters, before 5).
  std::vector<family_info> families;
};

/// Inconsistencies corrupt_for_test can write into a store.
enum class corruption : uint8_t {
  stray_list_entry,   // an entry for `id`, which is no task, in the list
                      // stream of pending tasks from "api"
  wrong_list_stream,  // the task is also listed under another serial
  wrong_bucket_count, // the bucket count of the task's unfiltered stream
                      // is off by 7
  old_index_entry,    // a per-field index entry (before version 5) of the
                      // task's serial
  stale_next_id,      // next_id is set to `id`, a stored task's id
  undecodable_task,   // the task's record is overwritten with garbage
  drop_due_entry,     // the pending scheduled task's due entry is deleted
  orphan_log,         // a log for `id`, which is no task
  drop_list_entry,    // the task's entry in its unfiltered list stream goes
  wrong_list_count,   // the count of that stream is off by 7
  drop_queue_entry,   // the pending task's device queue entry is deleted
};

class store {
public:
  /// 2 added the due index, 3 the list index, 4 the device queues in it,
  /// 5 removed the per-field index and its counters (docs/decisions/0031).
  /// A writer migrates an older store at open.
  static constexpr uint32_t schema_version = 5;

  /// A stored log keeps its last this many lines.
  static constexpr size_t max_log_lines = 1000;

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
  /// their index entries and counts, next_id and, when given, the
  /// idempotency record and the record of the schedule whose firing made
  /// them, in one atomic write. An id below next_id() or given twice is
  /// refused (io_error, nothing written): ids are never reused. A firing
  /// of a schedule that is not stored is not_found (nothing written).
  store_errc insert(const std::vector<task>& tasks,
                    const idempotency_record* key = nullptr,
                    const schedule* firing = nullptr);

  /// Replaces existing tasks (matched by id), moving their index entries and
  /// counts, and replaces (or appends to) the stored log of each task in
  /// `logs` (keeping its last max_log_lines lines), in one atomic write.
  /// not_found (and nothing written) if any task of `tasks` or `logs` does
  /// not exist.
  store_errc update(const std::vector<task>& tasks,
                    const std::vector<task_log>& logs = {});

  /// Deletes the tasks that exist among `ids`, with their logs, in one
  /// atomic write; `erased` receives the ids that existed, in the order
  /// given, each once.
  store_errc erase(const std::vector<task_id>& ids,
                   std::vector<task_id>& erased);

  /// One insert or update of write_group, as insert() and update() take
  /// them.
  struct task_write {
    bool insert = true; // insert(tasks, key, firing); else update
    std::vector<task> tasks;
    std::vector<task_log> logs;            // an update's
    std::optional<idempotency_record> key; // an insert's
    std::optional<schedule> firing;        // an insert's
  };

  /// Several inserts and updates in one atomic write (the store actor's
  /// writes of one mailbox sweep), applied in order: each sees the ones
  /// before it. Each is checked as insert() or update() checks it; one
  /// refused gets its error in `refused` (the same index) and changes
  /// nothing, the others go on. Returns the error of the write, which then
  /// applies to every write whose `refused` entry is ok: nothing of them
  /// was written. ok when none was left to write.
  store_errc write_group(const std::vector<task_write>& writes,
                         std::vector<store_errc>& refused);

  store_errc get(task_id id, task& out) const;

  /// The stored log of a task, oldest line first; empty when it has none.
  /// not_found when the task does not exist.
  store_errc get_log(task_id id, std::vector<log_line>& out) const;

  /// One page (1-based) of the tasks matching `filter`, newest first, and
  /// their exact total, from the list index (storage/lists.hpp) for any
  /// combination of filters: the total from counts, the page from a merge
  /// of at most status × source streams, a deep page from its bucket on,
  /// so no walk grows with the stored tasks. schema_mismatch on a read-only
  /// instance of a store before version 4 (a writer migrates it).
  store_errc list(const task_filter& filter, uint32_t page, uint32_t page_size,
                  task_page& out) const;

  /// Exact: the list index's totals of its unfiltered streams (one per
  /// status × source), held in memory from open on and moved by every
  /// write that succeeds. A read-only instance answers for its view as of
  /// open (for a store before version 4, which has no list index, from a
  /// recount of the tasks at open).
  task_counts counts() const;

  /// The device queue of `serial` (storage/lists.hpp): up to `limit` of its
  /// pending tasks with a queue_seq above `after`, in queue order, whether
  /// due or not. Device actors read their queues through it, a few at a
  /// time, instead of holding them.
  store_errc queued(const std::string& serial, uint64_t after, size_t limit,
                    std::vector<queued_entry>& out) const;

  /// How many due pending tasks (scheduled_at <= now) each serial that has
  /// pending ones has, by serial: the list counts less the due index after
  /// `now`.
  store_errc
  queued_by_serial(millis now,
                   std::vector<std::pair<std::string, uint64_t>>& out) const;

  /// Retention (storage.retention, storage/retention.cpp): deletes up to
  /// `limit` completed or failed tasks that finished before `cutoff`,
  /// those that finished first first, with their logs, index entries and
  /// counts, in one write. Housekeeping, not a change of a task's state:
  /// it writes no events. `removed` gets how many, `more` whether others
  /// may wait (a full batch was looked at).
  store_errc expire(millis cutoff, size_t limit, size_t& removed, bool& more);

  /// How many tasks retention has deleted since the store was created.
  uint64_t expired() const;

  /// Calls `f` for every task with `status`, ascending id (the queue order
  /// a retry of them all keeps), by a merge of that status's unfiltered
  /// list streams, one per source (on a read-only instance of a store
  /// before version 4: by a walk of the task table). Stops early when `f`
  /// returns false; corrupt (and stops) at an entry without its task.
  store_errc
  for_each_with_status(task_status status,
                       const std::function<bool(const task&)>& f) const;

  /// Calls `f` for every pending task with a scheduled_at in [from, until),
  /// ascending (scheduled_at, id), by walking the due index. Stops early
  /// when `f` returns false. schema_mismatch on a read-only instance of a
  /// version-1 store, which has no due index (a writer migrates it).
  store_errc
  for_each_due(millis from, millis until,
               const std::function<bool(millis due, task_id id)>& f) const;

  /// Calls `f` for every task, ascending id, by walking the task table.
  /// Stops early when `f` returns false; corrupt (and stops) at a record
  /// that cannot be decoded.
  store_errc for_each_task(const std::function<bool(const task&)>& f) const;

  /// Why writes fail at present, "" while the store is writable. The
  /// first write RocksDB refuses (a full disk, an I/O error) sets it; no
  /// write is attempted after it until RocksDB has recovered (by itself
  /// once space is back, or when asked, at most twice a second: this call
  /// asks too). A refused write changes nothing, on disk or in memory.
  std::string write_failure();

  /// Whether writes are refused at present, as last seen (asks nothing).
  bool refuses_writes() const;

  // -- group commit (options.sync) --------------------------------------------
  // With options.sync, each write is made durable by an fsync of the WAL
  // before it returns. Deferred instead, a write returns once it is in
  // the WAL (visible to reads, not yet durable) and sync() makes every
  // write since the last one durable with one fsync: the store actor then
  // acknowledges them all (group commit). Without options.sync both are
  // no-ops: the OS writes the WAL back when it will.

  /// Defers the fsync of writes until sync(); off again with false (which
  /// syncs first).
  store_errc defer_sync(bool on);

  /// Whether writes are waiting for sync().
  bool unsynced() const;

  /// One fsync of the WAL: every write before it is durable. On failure
  /// the writes since the last sync may or may not survive a crash, and
  /// the store refuses writes until it recovers (write_failure()).
  store_errc sync();

  /// The fsyncs sync() has made since open: with writes, what group commit
  /// saved.
  uint64_t syncs() const;

  /// The writes (RocksDB Writes) made since open: with write_group, what
  /// grouping saved.
  uint64_t writes() const;

  // -- events and webhooks --------------------------------------------------
  // Every insert, update and erase writes the task events of its changes
  // (model/event.hpp task_event_of) in its own batch, ids from
  // last_event_id() + 1 on.

  /// The events of the writes since the last call, ids assigned, oldest
  /// first: the store actor publishes them once they are written.
  std::vector<event> take_events();

  /// How many events take_events would hand on.
  size_t written_event_count() const;

  /// Stores events that belong to no task change (device, node), ids
  /// assigned; take_events hands them on.
  store_errc append_events(std::vector<event> events);

  /// Up to `limit` stored events with an id above `after`, ascending.
  store_errc read_events(uint64_t after, size_t limit,
                         std::vector<event>& out) const;

  /// The id of the newest event written (0: none yet).
  uint64_t last_event_id() const;

  /// The oldest event id still stored (last_event_id() + 1: none).
  uint64_t first_event_id() const;

  /// Deletes the events below `keep_from` (one range deletion).
  store_errc trim_events(uint64_t keep_from);

  /// Stores a webhook and its cursor; id 0 gets the next id (set in `w`).
  store_errc put_webhook(webhook& w);
  /// not_found when there is no such webhook.
  store_errc erase_webhook(uint64_t id);
  store_errc set_webhook_cursor(uint64_t id, uint64_t cursor);
  /// Every webhook with its cursor, ascending id.
  store_errc webhooks(std::vector<webhook>& out) const;

  // -- inspection (tmxctl) --------------------------------------------------

  /// Schema version and next ids as stored, the counts, the tasks per
  /// serial, script and source from the list index's totals, and per
  /// column family sizes and key counts.
  store_errc info(store_info& out) const;

  /// Walks every table and reports each inconsistency through `report`: a
  /// due or list entry without its task or that the task does not call
  /// for, a task missing from an index, an undecodable record, a list
  /// count that differs from a recount of the tasks, a key of the
  /// per-field index left in a version-5 store, next_id or next_queue_seq
  /// not above every stored one, a log without its task.
  /// `progress` gets (done, total) now and then, total being an estimate.
  /// Returns ok when the walk completed, whatever it found. Meant for a
  /// read-only instance, whose view does not move during the walk.
  store_errc check(
    const std::function<void(const std::string& problem)>& report,
    const std::function<void(uint64_t done, uint64_t total)>& progress) const;

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

  // -- device groups (groups.cpp) --------------------------------------------

  /// Creates or replaces the group of `g.name`.
  store_errc put_group(const device_group& g);
  /// not_found when there is no such group.
  store_errc erase_group(const std::string& name);
  /// Every group, ordered by name (byte order); corrupt at a record that
  /// cannot be decoded.
  store_errc groups(std::vector<device_group>& out) const;

  // -- schedules (schedules.cpp) ---------------------------------------------

  /// Stores a schedule; id 0 gets the next id (set in `s`), never one
  /// used before.
  store_errc put_schedule(schedule& s);
  /// not_found when there is no such schedule.
  store_errc erase_schedule(uint64_t id);
  /// Every schedule, ascending id; corrupt at a record that cannot be
  /// decoded.
  store_errc schedules(std::vector<schedule>& out) const;

  // -- test hooks ------------------------------------------------------------
  // Defined in tmx_storage_testing (storage/testing/), which only test
  // suites link: no program can damage a store.

  /// Test hook: overwrites the schema version of the (closed) database at
  /// `path`, so that tests can check that open() refuses another version.
  /// Below 5 it also writes, for every task, the per-field index (tags 1-4
  /// of the index family) and the counters family that every version
  /// before 5 kept: with the drop_*_for_test hooks before it, the database
  /// is as that version left it.
  static bool write_schema_version_for_test(const std::string& path,
                                            uint32_t version);

  /// Test hook: deletes every due index entry of the (closed) database at
  /// `path`; with write_schema_version_for_test(path, 1) after it, the
  /// database is as a version-1 tmx left it.
  static bool drop_due_index_for_test(const std::string& path);

  /// Test hook: deletes the whole list index of the (closed) database at
  /// `path`; with write_schema_version_for_test(path, 2) after it, the
  /// database is as a version-2 tmx left it.
  static bool drop_list_index_for_test(const std::string& path);

  /// Test hook: deletes the device queue entries of the list index of the
  /// (closed) database at `path`; with write_schema_version_for_test(path,
  /// 3) after it, the database is as a version-3 tmx left it.
  static bool drop_queues_for_test(const std::string& path);

  /// Test hook: writes the inconsistency `kind` about task `id` into the
  /// (closed) database at `path`, past every rule the store keeps, for
  /// check() to find. False when `id` does not fit the kind (a task that
  /// must exist does not, one that must not does).
  static bool corrupt_for_test(const std::string& path, corruption kind,
                               task_id id);

private:
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace tmx

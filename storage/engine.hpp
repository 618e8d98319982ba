// The inside of the store, shared by its parts in storage/ (and by the test
// hooks in storage/testing/): the column families, store::impl with the
// RocksDB handles, and the walks every part reads with. Private to
// storage/: it includes RocksDB headers.
#pragma once

#include "storage/keys.hpp"
#include "storage/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tmx::engine {

// Column families, opened in this order: handles are indexed by it. Names
// are on disk: append new ones, never reorder or rename them. A retired
// family leaves the list and is dropped by the writer that finds it
// (drop_retired_families): `counters`, version 5.
enum class cf : size_t {
  tasks,       // id → task record
  index,       // due | at | id → empty (the due index, keys.hpp)
  meta,        // keys::schema_version, next_id, next_queue_seq → u64
  accounts,    // username → account record
  devices,     // serial → empty
  idempotency, // Idempotency-Key → idempotency record
  logs,        // id → log record
  events,      // event id → event record (the outbox of the event hub)
  webhooks,    // 'w' | id → webhook record; 'c' | id → u64 cursor
  groups,      // group name → group record (device groups)
  schedules,   // schedule id → schedule record (recurring tasks)
  lists,       // the list index: streams, their counts, ended (lists.hpp)
};

constexpr std::array<const char*, 12> cf_names{
  "tasks", "index",  "meta",     "accounts", "devices",   "idempotency",
  "logs",  "events", "webhooks", "groups",   "schedules", "lists"};

/// Families of older versions, dropped at a writer's open.
constexpr std::array<const char*, 1> retired_cf_names{"counters"};

store_errc errc_of(const rocksdb::Status& s);

// Reads a u64 value written by keys::u64_bytes; false on any other size.
bool parse_u64(const rocksdb::Slice& value, uint64_t& out);

store_errc decode_task(task_id id, const rocksdb::Slice& bytes, task& out);

// The due index entry of task `t` (null: no task), if it has one.
std::optional<std::string> due_entry(const task* t);

// One atomic change of tasks, collected before anything is written.
struct task_change {
  rocksdb::WriteBatch batch;
  // Of the list index's counts: written as merge operands (lists.hpp).
  std::map<std::string, int64_t> list_counts;
  // The state of each touched task as of this change (nullopt = erased), so
  // that an id given twice sees its first change.
  std::unordered_map<task_id, std::optional<task>> staged;
  // The log of each task whose log this change replaces, as of it.
  std::unordered_map<task_id, std::vector<log_line>> logs;
  task_id next_id = 0;
  uint64_t next_queue_seq = 0;
  millis at = 0;             // when the change happens (its events' time)
  bool quiet = false;        // housekeeping (retention): no events
  std::vector<event> events; // ids assigned by commit
};

// What the walks of store::check learn and hand on to the later ones
// (storage/check.hpp).
struct check_state;

} // namespace tmx::engine

namespace tmx {

struct store::impl {
  using cf = engine::cf;
  using task_change = engine::task_change;
  using task_write = store::task_write;
  using check_state = engine::check_state;

  options opts;
  rocksdb::DB* db = nullptr; // owned: closed after its handles in ~impl
  std::vector<rocksdb::ColumnFamilyHandle*> handles; // cf order first
  std::filesystem::path secondary_dir;               // removed at close
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  uint64_t next_event_id = 1;
  uint64_t first_event_id = 1; // the oldest event kept (trim_events)
  uint64_t next_webhook_id = 1;
  uint64_t next_schedule_id = 1;
  uint64_t expired = 0; // keys::expired
  // The events of the writes since the last take_events.
  std::vector<event> written_events;
  // The schema version as stored at open: below schema_version only on a
  // read-only instance (a writer migrates).
  uint64_t stored_version = schema_version;
  // False only on a read-only instance of a version-1 store.
  bool has_due_index = true;
  // False only on a read-only instance of a store before version 4.
  bool has_lists = true;

  ~impl();
  void close();

  rocksdb::ColumnFamilyHandle* handle(cf c) const {
    return handles[static_cast<size_t>(c)];
  }

  // -- opening (engine.cpp) -------------------------------------------------

  /// Sets the operator's message "<what>: <path>: <detail>"; always false.
  bool refuse(std::string& error, const std::string& what,
              const std::string& detail) const;
  bool open_db(std::string& error);
  rocksdb::Status
  open_read_only(const rocksdb::DBOptions& db_opts,
                 const std::vector<rocksdb::ColumnFamilyDescriptor>& families);
  /// A u64 of the meta table; `out` stays as it is when the key is absent.
  rocksdb::Status read_meta(std::string_view key, uint64_t& out) const;
  bool check_schema(std::string& error);
  bool initialise(std::string& error);
  /// Builds what the versions after `version` added, in the batch that
  /// sets the current version.
  bool migrate(uint64_t version, std::string& error);
  /// Version 3's list index, from the task table (lists.cpp): the entries
  /// written in chunks, the counts added to `last` (absolute values).
  store_errc build_lists(rocksdb::WriteBatch& last, std::string& error);
  bool write_schema(rocksdb::WriteBatch& batch, std::string& error,
                    const std::string& what);
  /// Drops the families of retired_cf_names the database still has.
  bool drop_retired_families(std::string& error);
  bool load_state(std::string& error);

  // -- reading --------------------------------------------------------------

  store_errc read(cf family, std::string_view key, std::string& value) const {
    return engine::errc_of(db->Get({}, handle(family), key, &value));
  }

  // An absent task is not an error here: `out` stays empty.
  store_errc find_task(task_id id, std::optional<task>& out) const;

  // A task that must exist: `if_absent` says what its absence means.
  store_errc load_task(task_id id, task& out, store_errc if_absent) const;

  /// Calls f(key, value) for every entry of `family`, ascending, until f
  /// returns false.
  template <class F>
  store_errc for_each_entry(cf family, F&& f) const {
    std::unique_ptr<rocksdb::Iterator> it{db->NewIterator({}, handle(family))};
    for (it->SeekToFirst(); it->Valid() && f(it->key(), it->value());
         it->Next()) {
    }
    return engine::errc_of(it->status());
  }

  /// Calls f(key, value) for every key of `family` in [lower, upper),
  /// descending or ascending, until f returns false.
  template <class F>
  store_errc walk(cf family, const std::string& lower, const std::string& upper,
                  bool descending, F&& f) const {
    rocksdb::Slice lower_slice{lower};
    rocksdb::Slice upper_slice{upper};
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(ro, handle(family))};
    if (descending)
      it->SeekToLast();
    else
      it->Seek(lower);
    for (; it->Valid() && f(it->key(), it->value());
         descending ? it->Prev() : it->Next()) {
    }
    return engine::errc_of(it->status());
  }

  /// Calls f(id, value) for every key of `family` that is `prefix` followed
  /// by an id, highest id first or lowest first, until f returns false.
  template <class F>
  store_errc walk_ids(cf family, const std::string& prefix, bool newest_first,
                      F&& f) const {
    // Every key of the range is exactly prefix + 8 bytes, so prefix + 0xff..
    // is its last possible key and one more byte an exclusive bound.
    auto end = prefix + std::string(keys::id_size, '\xff') + '\0';
    bool corrupt = false;
    auto e = walk(family, prefix, end, newest_first,
                  [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
                    if (key.size() != prefix.size() + keys::id_size)
                      return !(corrupt = true);
                    return f(keys::get_u64(
                               key.ToStringView().substr(prefix.size())),
                             value);
                  });
    return corrupt ? store_errc::corrupt : e;
  }

  /// Calls `f` for every task of the task table, ascending id, until it
  /// returns false; corrupt (and stops) at a record that cannot be decoded.
  template <class F>
  store_errc for_each_stored_task(F&& f) const {
    auto e = store_errc::ok;
    auto walked = walk_ids(cf::tasks, "", false,
                           [&](task_id id, const rocksdb::Slice& value) {
                             task t;
                             e = engine::decode_task(id, value, t);
                             return e == store_errc::ok && f(t);
                           });
    return e != store_errc::ok ? e : walked;
  }

  // -- the totals of the list index (list_totals.cpp) ------------------------

  // The totals of the list index's unfiltered streams (the 't' keys of mask
  // 0, one per status × source), by key: counts() adds them up. Read at
  // open, moved by commit() once its write succeeded.
  std::map<std::string, uint64_t> status_totals;
  // Only on a read-only instance of a store before version 4, which has no
  // list index to read: the totals of masks 0-2, recounted from the task
  // table at open.
  std::map<std::string, uint64_t> recounted;

  /// Reads status_totals (or, without a list index, recounts).
  bool load_totals(std::string& error);

  /// Calls f(stream, tasks) for every total of the streams of `mask`, in
  /// key order, until f returns false.
  store_errc for_each_total(uint8_t mask,
                            const std::function<bool(std::string_view stream,
                                                     uint64_t tasks)>& f) const;

  /// The tasks per serial, script and source (store_info::values).
  store_errc value_counts(std::vector<value_count>& out) const;

  // -- writing (writes.cpp) -------------------------------------------------

  store_errc writable() const {
    return opts.read_only ? store_errc::read_only : store_errc::ok;
  }

  store_errc write(rocksdb::WriteBatch& batch);

  // With opts.sync: writes leave the fsync to store::sync() (group commit),
  // and whether one has been written since the last.
  bool deferred_sync = false;
  bool unsynced = false;
  uint64_t syncs = 0;
  uint64_t writes = 0; // successful Writes since open

  // -- a store that cannot write (writes.cpp) --------------------------------

  // Why writes are refused ("" while they are not): set by the first write
  // RocksDB fails (a full disk, an I/O error). From then on no write is
  // attempted until RocksDB has recovered: by itself once space is back
  // (its SstFileManager), or through DB::Resume(), tried at most every
  // resume_interval.
  std::string write_failure;
  std::chrono::steady_clock::time_point next_resume{};
  static constexpr std::chrono::milliseconds resume_interval{500};

  void note_failure(const rocksdb::Status& s);
  // True when writes may be attempted (again).
  bool resume();

  task_change begin() const;

  /// The state of task `id` as of change `c`.
  store_errc current(const task_change& c, task_id id,
                     std::optional<task>& out) const;

  /// Adds to `c` the move of one task from `before` to `after` (either may
  /// be null: insert, erase): its record, its event, its due entry, its
  /// list index entries and counts, and on erase its log.
  void stage(task_change& c, const task* before, const task* after) const;

  /// The log of `log.id` once `log` is applied as of `c`: its last
  /// max_log_lines lines (after the stored ones when it appends);
  /// not_found when the task does not exist as of `c`.
  store_errc joined_log(const task_change& c, const task_log& log,
                        std::vector<log_line>& out) const;

  /// Adds an insert or update of write_group to `c`, whole or (refused,
  /// `c` unchanged) not at all (grouped.cpp).
  store_errc stage_insert(task_change& c, const task_write& w) const;
  store_errc stage_update(task_change& c, const task_write& w) const;

  /// The list index part of stage() (lists.cpp).
  void stage_lists(task_change& c, const task* before, const task* after) const;

  /// One stream of a list query and its count (lists.cpp).
  struct stream_total {
    std::string stream;
    uint64_t tasks = 0;
  };

  /// Where the walk of a deep page starts: at the top of the bucket holding the
  /// task at `offset`, skipping `skip` of it (lists.cpp).
  store_errc start_bucket(const std::vector<stream_total>& streams,
                          uint64_t offset, task_id& top, uint64_t& skip) const;

  /// A page of a list query from the list index (lists.cpp).
  store_errc list_page(const task_filter& filter, uint64_t offset,
                       uint32_t page_size, task_page& out) const;

  /// Writes `c` with its list counts and meta, then takes over the new
  /// status totals and next ids; a failed write changes nothing.
  store_errc commit(task_change& c);

  /// Adds `events` to `batch` with ids from next_event_id on, and the new
  /// next_event_id; returns it (taken over once the batch is written).
  uint64_t stage_events(rocksdb::WriteBatch& batch,
                        std::vector<event>& events) const;

  /// After `batch` with `events` (staged) was written: takes them over.
  void events_written(std::vector<event>& events, uint64_t next);

  // -- checking (see store::check; inspect.cpp, check_index.cpp) ------------

  /// The task table: every record decodes; the digests of the due and list
  /// entries the tasks call for, and the recount of the list counts.
  store_errc check_tasks(check_state& st) const;

  /// The index family: every key is a well-formed due entry (a key of the
  /// per-field index is reported in a version-5 store, left alone in an
  /// older one a reader opened); when the digests differ, every entry is
  /// checked against its task and every task's entry looked up.
  store_errc check_index(check_state& st) const;

  /// The tasks again, when the due digests differ: reports each pending
  /// scheduled task without its due entry.
  store_errc find_missing_due_entries(check_state& st) const;

  /// The task an index entry points to, when it is worth checking: not
  /// when it is undecodable (reported once already) or a read fails.
  std::optional<task> indexed_task(check_state& st, task_id id,
                                   const std::string& entry) const;

  void check_due_entry(check_state& st, millis at, task_id id) const;

  /// next_id and next_queue_seq as stored are above every stored one.
  store_errc check_meta(check_state& st) const;

  /// The logs: each belongs to a task and decodes.
  store_errc check_logs(check_state& st) const;

  /// The events: each decodes; the
  /// webhooks: each decodes and has its cursor (events.cpp).
  store_errc check_events(check_state& st) const;

  /// The device groups: each decodes (groups.cpp).
  store_errc check_groups(check_state& st) const;

  /// The schedules: each decodes, and its id is below next_schedule_id
  /// (schedules.cpp).
  store_errc check_schedules(check_state& st) const;

  /// The list index: its entries are the ones the tasks call for, its
  /// counts equal a recount (check_lists.cpp).
  store_errc check_lists(check_state& st) const;
};

} // namespace tmx

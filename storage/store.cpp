// The store on RocksDB: column families, atomic task writes with their index
// entries, counters and logs, index walks for list queries, and the schema
// check (and migration) at open.
#include "storage/store.hpp"

#include "storage/codec.hpp"
#include "storage/keys.hpp"

#include "model/time.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace tmx {

namespace {

// Column families, opened in this order: handles are indexed by it. Names
// are on disk: append new ones, never reorder, rename or remove.
enum class cf : size_t {
  tasks,       // id → task record
  index,       // field | value | id → empty; due | at | id → empty
  counters,    // field | value → u64 (field::total → all tasks)
  meta,        // keys::schema_version, next_id, next_queue_seq → u64
  accounts,    // username → account record
  devices,     // serial → empty
  idempotency, // Idempotency-Key → idempotency record
  logs,        // id → log record
};

constexpr std::array<const char*, 8> cf_names{
  "tasks", "index", "counters", "meta",
  "accounts", "devices", "idempotency", "logs"};

constexpr size_t block_cache_bytes = 32 << 20;
constexpr size_t write_buffer_bytes = 16 << 20;

store_errc errc_of(const rocksdb::Status& s) {
  if (s.ok())
    return store_errc::ok;
  if (s.IsNotFound())
    return store_errc::not_found;
  return s.IsCorruption() ? store_errc::corrupt : store_errc::io_error;
}

// Reads a u64 value written by keys::u64_bytes; false on any other size.
bool parse_u64(const rocksdb::Slice& value, uint64_t& out) {
  if (value.size() != keys::id_size)
    return false;
  out = keys::get_u64(value.ToStringView());
  return true;
}

store_errc decode_task(task_id id, const rocksdb::Slice& bytes, task& out) {
  return codec::decode(bytes.ToStringView(), out) && out.id == id
           ? store_errc::ok
           : store_errc::corrupt;
}

rocksdb::ColumnFamilyOptions family_options() {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions o;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.write_buffer_size = write_buffer_bytes;
  return o;
}

// The (field, value) pairs of the filters that are set.
using field_match = std::vector<std::pair<keys::field, std::string>>;

field_match wanted_fields(const task_filter& filter) {
  field_match out;
  if (filter.status)
    out.emplace_back(keys::field::status, keys::status_value(*filter.status));
  if (!filter.serial.empty())
    out.emplace_back(keys::field::serial, filter.serial);
  if (!filter.script_name.empty())
    out.emplace_back(keys::field::script, filter.script_name);
  if (!filter.source.empty())
    out.emplace_back(keys::field::source, filter.source);
  return out;
}

bool matches(const task& t, const field_match& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& w) {
    return keys::field_value(t, w.first) == w.second;
  });
}

// The due index entry of task `t` (null: no task), if it has one.
std::optional<std::string> due_entry(const task* t) {
  if (t == nullptr || t->status != task_status::pending
      || t->scheduled_at == 0)
    return std::nullopt;
  return keys::due(t->scheduled_at, t->id);
}

bool is_indexed(keys::field f) {
  return std::find(keys::indexed_fields.begin(), keys::indexed_fields.end(),
                   f)
         != keys::indexed_fields.end();
}

// How a problem report names a field's value: a status by its name, other
// values quoted, control bytes escaped (a report is one line).
std::string shown(keys::field f, std::string_view value) {
  std::string out = keys::field_name(f);
  out += ' ';
  if (f == keys::field::status && value.size() == 1
      && static_cast<uint8_t>(value[0]) < status_count)
    return out.append(status_text(static_cast<task_status>(value[0])));
  out += '"';
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + '"';
}

// A malformed key, shown in hex.
std::string hex(std::string_view key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

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

// Why task `t` should have index entry `key` (which it lacks).
std::string missing_entry(const task& t, std::string_view key) {
  auto name = "task " + std::to_string(t.id);
  keys::field f{};
  std::string_view value, rest;
  if (key[0] == static_cast<char>(keys::field::due)
      || !keys::split_value_prefix(key, f, value, rest))
    return name + ": pending and due at " + format_time(t.scheduled_at)
           + ", not in the due index";
  return name + ": not in the index under " + shown(f, value);
}

// What the walks of store::check learn and hand on to the later ones.
struct check_state {
  check_state(const std::function<void(const std::string&)>& r,
              const std::function<void(uint64_t, uint64_t)>& p)
    : report(r), progress(p) {
  }

  const std::function<void(const std::string&)>& report;
  const std::function<void(uint64_t, uint64_t)>& progress;
  uint64_t done = 0;
  uint64_t total = 0; // estimate: tasks plus index entries, from counters
  uint64_t tasks = 0; // task records, decodable or not
  task_id max_id = 0;
  uint64_t max_queue_seq = 0;
  std::set<task_id> undecodable;
  std::map<std::string, uint64_t> recount; // counter key → tasks
  std::map<char, digest> expected; // index tag → entries the tasks call for
  store_errc error = store_errc::ok;       // a read failed: stop

  // One more key walked; progress every few thousand keys.
  void tick() {
    if (++done % 4096 == 0 && progress)
      progress(std::min(done, total), total);
  }
};

// One atomic change of tasks, collected before anything is written.
struct task_change {
  rocksdb::WriteBatch batch;
  std::map<std::string, int64_t> counter_deltas;
  // The state of each touched task as of this change (nullopt = erased), so
  // that an id given twice sees its first change.
  std::unordered_map<task_id, std::optional<task>> staged;
  task_id next_id = 0;
  uint64_t next_queue_seq = 0;
};

} // namespace

const char* to_string(store_errc e) {
  switch (e) {
    case store_errc::ok: return "ok";
    case store_errc::not_found: return "not_found";
    case store_errc::io_error: return "io_error";
    case store_errc::corrupt: return "corrupt";
    case store_errc::schema_mismatch: return "schema_mismatch";
    case store_errc::read_only: return "read_only";
  }
  return "unknown";
}

struct store::impl {
  options opts;
  rocksdb::DB* db = nullptr; // owned: closed after its handles in ~impl
  std::vector<rocksdb::ColumnFamilyHandle*> handles; // cf order first
  std::filesystem::path secondary_dir; // removed at close
  task_id next_id = 1;
  uint64_t next_queue_seq = 1;
  // Every counter of the counters table, loaded at open: writes need the
  // old value to store the new absolute one.
  std::unordered_map<std::string, uint64_t> counters;
  // False only on a read-only instance of a version-1 store.
  bool has_due_index = true;

  ~impl() {
    close();
    if (!secondary_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(secondary_dir, ignored);
    }
  }

  void close() {
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h);
    handles.clear();
    delete db;
    db = nullptr;
  }

  rocksdb::ColumnFamilyHandle* handle(cf c) const {
    return handles[static_cast<size_t>(c)];
  }

  // -- opening --------------------------------------------------------------

  /// Sets the operator's message "<what>: <path>: <detail>"; always false.
  bool refuse(std::string& error, const std::string& what,
              const std::string& detail) const {
    error = what + ": " + opts.path + ": " + detail;
    return false;
  }

  bool open_db(std::string& error) {
    rocksdb::DBOptions db_opts;
    db_opts.create_if_missing = !opts.read_only;
    db_opts.create_missing_column_families = !opts.read_only;
    db_opts.keep_log_file_num = 4;
    db_opts.skip_stats_update_on_db_open = true;
    // Lets rarely written families (devices, accounts) be flushed so that
    // old WAL files go.
    db_opts.max_total_wal_size = 4 * write_buffer_bytes;

    auto cf_opts = family_options();
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : cf_names)
      families.emplace_back(name, cf_opts);
    families.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_opts);

    // Fails on a new database, which is fine unless we may not create one.
    std::vector<std::string> existing;
    auto listed = rocksdb::DB::ListColumnFamilies(db_opts, opts.path,
                                                  &existing);
    if (opts.read_only && !listed.ok())
      return refuse(error, "cannot open read-only", listed.ToString());
    for (const char* name : cf_names)
      if (opts.read_only
          && std::find(existing.begin(), existing.end(), name)
               == existing.end())
        return refuse(error, "not a tmx data directory",
                      std::string("no column family '") + name + "'");
    // A primary must open every family the database has, even unknown
    // ones, to get as far as the schema check.
    for (const auto& name : existing)
      if (std::none_of(families.begin(), families.end(),
                       [&](const auto& f) { return f.name == name; }))
        families.emplace_back(name, cf_opts);

    auto s = opts.read_only
               ? open_read_only(db_opts, families)
               : rocksdb::DB::Open(db_opts, opts.path, families, &handles,
                                   &db);
    return s.ok() || refuse(error, "cannot open", s.ToString());
  }

  // A secondary instance replays the live writer's WAL, so it sees writes
  // that are not flushed yet; plain read-only is the fallback.
  rocksdb::Status open_read_only(
    const rocksdb::DBOptions& db_opts,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& families) {
    std::error_code ec;
    auto tmp = std::filesystem::temp_directory_path(ec);
    std::string dir = (tmp / "tmx-secondary-XXXXXX").string();
    if (!ec && mkdtemp(dir.data()) != nullptr) {
      secondary_dir = dir;
      auto s = rocksdb::DB::OpenAsSecondary(db_opts, opts.path, dir, families,
                                            &handles, &db);
      if (s.ok())
        s = db->TryCatchUpWithPrimary();
      if (s.ok())
        return s;
      if (db != nullptr)
        close();
    }
    return rocksdb::DB::OpenForReadOnly(db_opts, opts.path, families,
                                        &handles, &db);
  }

  /// A u64 of the meta table; `out` stays as it is when the key is absent.
  rocksdb::Status read_meta(std::string_view key, uint64_t& out) const {
    std::string value;
    auto s = db->Get({}, handle(cf::meta), key, &value);
    if (s.ok() && !parse_u64(value, out))
      return rocksdb::Status::Corruption(std::string(key) + " is not a u64");
    return s;
  }

  bool check_schema(std::string& error) {
    uint64_t version = 0;
    auto s = read_meta(keys::schema_version, version);
    if (s.IsNotFound())
      return initialise(error);
    if (!s.ok())
      return refuse(error, "cannot read the schema version", s.ToString());
    if (version == schema_version)
      return true;
    if (version == 1 && opts.read_only) {
      has_due_index = false;
      return true;
    }
    if (version == 1)
      return migrate_from_1(error);
    return refuse(error, "schema_mismatch",
                  "schema version " + std::to_string(version)
                    + ", this tmx reads version "
                    + std::to_string(schema_version));
  }

  // A database without a schema version: a new one, unless it holds tasks.
  bool initialise(std::string& error) {
    bool empty = true;
    auto e = walk_ids(cf::tasks, "", true, [&](task_id, const auto&) {
      return empty = false;
    });
    if (e != store_errc::ok || !empty || opts.read_only)
      return refuse(error, "schema_mismatch",
                    "no schema version (not a tmx data directory?)");
    rocksdb::WriteBatch batch;
    return write_schema(batch, error, "cannot initialise");
  }

  // Version 1 had no due index: build it from the pending tasks, in the
  // batch that sets the version (a crash before it leaves version 1, and the
  // next open starts over).
  bool migrate_from_1(std::string& error) {
    rocksdb::WriteBatch batch;
    auto e = for_each_with_status(task_status::pending, [&](const task& t) {
      if (auto entry = due_entry(&t))
        batch.Put(handle(cf::index), *entry, rocksdb::Slice());
      return true;
    });
    if (e != store_errc::ok)
      return refuse(error, "cannot migrate from schema version 1",
                    to_string(e));
    return write_schema(batch, error, "cannot migrate from schema version 1");
  }

  // Writes `batch` with the current schema version, synced.
  bool write_schema(rocksdb::WriteBatch& batch, std::string& error,
                    const std::string& what) {
    batch.Put(handle(cf::meta), keys::schema_version,
              keys::u64_bytes(schema_version));
    rocksdb::WriteOptions wo;
    wo.sync = true; // once per database or migration: worth an fsync
    auto s = db->Write(wo, &batch);
    return s.ok() || refuse(error, what, s.ToString());
  }

  bool load_state(std::string& error) {
    bool readable = true;
    auto e = for_each_entry(cf::counters, [&](const auto& key,
                                              const auto& value) {
      return readable = parse_u64(value, counters[key.ToString()]);
    });
    if (e != store_errc::ok || !readable)
      return refuse(error, "cannot read the counters",
                    readable ? to_string(e) : "a value is not a u64");
    for (auto [key, out] : {std::pair{keys::next_id, &next_id},
                            std::pair{keys::next_queue_seq, &next_queue_seq}})
      if (auto s = read_meta(key, *out); !s.ok() && !s.IsNotFound())
        return refuse(error, "cannot read " + std::string(key), s.ToString());
    // next_id is written with every insert; the highest stored id is a
    // cheap second opinion.
    walk_ids(cf::tasks, "", true, [&](task_id id, const auto&) {
      next_id = std::max(next_id, id + 1);
      return false;
    });
    return true;
  }

  // -- reading --------------------------------------------------------------

  uint64_t counter(const std::string& key) const {
    auto i = counters.find(key);
    return i == counters.end() ? 0 : i->second;
  }

  store_errc read(cf family, std::string_view key, std::string& value) const {
    return errc_of(db->Get({}, handle(family), key, &value));
  }

  // An absent task is not an error here: `out` stays empty.
  store_errc find_task(task_id id, std::optional<task>& out) const {
    std::string bytes;
    auto e = read(cf::tasks, keys::task_key(id), bytes);
    if (e == store_errc::not_found)
      return store_errc::ok;
    if (e != store_errc::ok)
      return e;
    out.emplace();
    return decode_task(id, bytes, *out);
  }

  // A task that must exist: `if_absent` says what its absence means.
  store_errc load_task(task_id id, task& out, store_errc if_absent) const {
    std::optional<task> found;
    auto e = find_task(id, found);
    if (e == store_errc::ok && !found)
      return if_absent;
    if (found)
      out = std::move(*found);
    return e;
  }

  /// Calls f(key, value) for every entry of `family`, ascending, until f
  /// returns false.
  template <class F>
  store_errc for_each_entry(cf family, F&& f) const {
    std::unique_ptr<rocksdb::Iterator> it{
      db->NewIterator({}, handle(family))};
    for (it->SeekToFirst(); it->Valid() && f(it->key(), it->value());
         it->Next()) {
    }
    return errc_of(it->status());
  }

  /// Calls f(key, value) for every key of `family` in [lower, upper),
  /// descending or ascending, until f returns false.
  template <class F>
  store_errc walk(cf family, const std::string& lower,
                  const std::string& upper, bool descending, F&& f) const {
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
    return errc_of(it->status());
  }

  /// Calls f(id, value) for every key of `family` that is `prefix` followed
  /// by an id, highest id first or lowest first, until f returns false.
  template <class F>
  store_errc walk_ids(cf family, const std::string& prefix,
                      bool newest_first, F&& f) const {
    // Every key of the range is exactly prefix + 8 bytes, so prefix + 0xff..
    // is its last possible key and one more byte an exclusive bound.
    auto end = prefix + std::string(keys::id_size, '\xff') + '\0';
    bool corrupt = false;
    auto e = walk(family, prefix, end, newest_first,
                  [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
                    if (key.size() != prefix.size() + keys::id_size)
                      return !(corrupt = true);
                    return f(keys::get_u64(key.ToStringView().substr(
                               prefix.size())),
                             value);
                  });
    return corrupt ? store_errc::corrupt : e;
  }

  /// Calls `f` for every task of a walk_ids range, ascending id, until it
  /// returns false: decoded from the value in the task table, looked up by
  /// id from an index.
  template <class F>
  store_errc for_each_task_of(cf family, const std::string& prefix,
                              F&& f) const {
    auto e = store_errc::ok;
    auto walked = walk_ids(
      family, prefix, false, [&](task_id id, const rocksdb::Slice& value) {
        task t;
        e = family == cf::tasks ? decode_task(id, value, t)
                                : load_task(id, t, store_errc::corrupt);
        return e == store_errc::ok && f(t);
      });
    return e != store_errc::ok ? e : walked;
  }

  /// Calls `f` for every task with `status`, ascending id, until it returns
  /// false.
  template <class F>
  store_errc for_each_with_status(task_status status, F&& f) const {
    return for_each_task_of(
      cf::index,
      keys::value_prefix(keys::field::status, keys::status_value(status)),
      std::forward<F>(f));
  }

  // -- writing --------------------------------------------------------------

  store_errc writable() const {
    return opts.read_only ? store_errc::read_only : store_errc::ok;
  }

  store_errc write(rocksdb::WriteBatch& batch) {
    rocksdb::WriteOptions wo;
    wo.sync = opts.sync;
    return errc_of(db->Write(wo, &batch));
  }

  task_change begin() const {
    task_change c;
    c.next_id = next_id;
    c.next_queue_seq = next_queue_seq;
    return c;
  }

  /// The state of task `id` as of change `c`.
  store_errc current(const task_change& c, task_id id,
                     std::optional<task>& out) const {
    if (auto i = c.staged.find(id); i != c.staged.end()) {
      out = i->second;
      return store_errc::ok;
    }
    return find_task(id, out);
  }

  /// Adds to `c` the move of one task from `before` to `after` (either may
  /// be null: insert, erase): its record, for each indexed field whose
  /// value changes the index entries and counters, its due entry, and on
  /// erase its log.
  void stage(task_change& c, const task* before, const task* after) const {
    task_id id = after ? after->id : before->id;
    if (after)
      c.batch.Put(handle(cf::tasks), keys::task_key(id), codec::encode(*after));
    else
      c.batch.Delete(handle(cf::tasks), keys::task_key(id));
    for (keys::field f : keys::indexed_fields) {
      std::optional<std::string> from, to;
      if (before)
        from = keys::field_value(*before, f);
      if (after)
        to = keys::field_value(*after, f);
      if (from == to)
        continue;
      if (from) {
        c.batch.Delete(handle(cf::index), keys::index(f, *from, id));
        --c.counter_deltas[keys::value_prefix(f, *from)];
      }
      if (to) {
        c.batch.Put(handle(cf::index), keys::index(f, *to, id),
                    rocksdb::Slice());
        ++c.counter_deltas[keys::value_prefix(f, *to)];
      }
    }
    if (auto from = due_entry(before), to = due_entry(after); from != to) {
      if (from)
        c.batch.Delete(handle(cf::index), *from);
      if (to)
        c.batch.Put(handle(cf::index), *to, rocksdb::Slice());
    }
    if (!after)
      c.batch.Delete(handle(cf::logs), keys::task_key(id));
    if (!before || !after)
      c.counter_deltas[keys::total_counter()] += after ? 1 : -1;
    if (after) {
      c.next_id = std::max(c.next_id, id + 1);
      c.next_queue_seq = std::max(c.next_queue_seq, after->queue_seq + 1);
      c.staged[id] = *after;
    } else {
      c.staged[id] = std::nullopt;
    }
  }

  /// Adds to `c` the replacement of a task's log by the last max_log_lines
  /// lines of `log` (after the stored ones when it appends); not_found when
  /// the task does not exist as of `c`.
  store_errc stage_log(task_change& c, const task_log& log) const {
    std::optional<task> owner;
    if (auto e = current(c, log.id, owner); e != store_errc::ok)
      return e;
    if (!owner)
      return store_errc::not_found;
    std::vector<log_line> joined;
    if (log.append) {
      std::string stored;
      auto e = read(cf::logs, keys::task_key(log.id), stored);
      if (e == store_errc::ok && !codec::decode(stored, joined))
        return store_errc::corrupt;
      if (e != store_errc::ok && e != store_errc::not_found)
        return e;
      joined.insert(joined.end(), log.lines.begin(), log.lines.end());
    }
    const auto& lines = log.append ? joined : log.lines;
    auto bytes = lines.size() <= max_log_lines
                   ? codec::encode(lines)
                   : codec::encode(std::vector<log_line>(
                       lines.end() - max_log_lines, lines.end()));
    c.batch.Put(handle(cf::logs), keys::task_key(log.id), bytes);
    return store_errc::ok;
  }

  /// Writes `c` with the new counter values and meta, then takes them over.
  store_errc commit(task_change& c) {
    std::vector<std::pair<const std::string*, uint64_t>> changed;
    for (const auto& [key, delta] : c.counter_deltas) {
      if (delta == 0)
        continue;
      auto value = static_cast<int64_t>(counter(key)) + delta;
      if (value < 0) // the counters disagree with the index
        return store_errc::corrupt;
      if (value == 0)
        c.batch.Delete(handle(cf::counters), key);
      else
        c.batch.Put(handle(cf::counters), key, keys::u64_bytes(value));
      changed.emplace_back(&key, value);
    }
    if (c.next_id != next_id)
      c.batch.Put(handle(cf::meta), keys::next_id, keys::u64_bytes(c.next_id));
    if (c.next_queue_seq != next_queue_seq)
      c.batch.Put(handle(cf::meta), keys::next_queue_seq,
                  keys::u64_bytes(c.next_queue_seq));
    if (auto e = write(c.batch); e != store_errc::ok)
      return e;
    for (auto [key, value] : changed)
      if (value == 0)
        counters.erase(*key);
      else
        counters[*key] = value;
    next_id = c.next_id;
    next_queue_seq = c.next_queue_seq;
    return store_errc::ok;
  }

  // -- checking (see store::check) ------------------------------------------

  /// The index entries `t` calls for: one per indexed field and, when it
  /// is pending and scheduled, its due entry.
  std::vector<std::string> own_entries(const task& t) const {
    std::vector<std::string> out;
    for (keys::field f : keys::indexed_fields)
      out.push_back(keys::index(f, keys::field_value(t, f), t.id));
    if (auto due = due_entry(&t); due && has_due_index)
      out.push_back(*due);
    return out;
  }

  /// The task table: every record decodes; the recount of the counters and
  /// the digests of the index entries the tasks call for.
  store_errc check_tasks(check_state& st) const {
    return for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
      st.tick();
      if (key.size() != keys::id_size) {
        st.report("tasks: malformed key " + hex(key.ToStringView()));
        return true;
      }
      task_id id = keys::get_u64(key.ToStringView());
      ++st.tasks;
      st.max_id = id; // ascending
      task t;
      if (decode_task(id, value, t) != store_errc::ok) {
        st.undecodable.insert(id);
        st.report("task " + std::to_string(id)
                  + ": the record cannot be decoded");
        return true;
      }
      st.max_queue_seq = std::max(st.max_queue_seq, t.queue_seq);
      for (keys::field f : keys::indexed_fields)
        ++st.recount[keys::value_prefix(f, keys::field_value(t, f))];
      for (const auto& entry : own_entries(t))
        st.expected[entry[0]].add(entry);
      return true;
    });
  }

  /// The tasks again, for the index parts (tags) whose digests differ:
  /// reports each entry of those parts that a task calls for and that is
  /// not in the index.
  store_errc find_missing_entries(check_state& st,
                                  const std::set<char>& parts) const {
    return for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
      st.tick();
      task t;
      if (key.size() != keys::id_size
          || decode_task(keys::get_u64(key.ToStringView()), value, t)
               != store_errc::ok)
        return true; // reported by check_tasks
      std::string ignored;
      for (const auto& entry : own_entries(t)) {
        if (parts.count(entry[0]) == 0)
          continue;
        auto e = read(cf::index, entry, ignored);
        if (e == store_errc::not_found)
          st.report(missing_entry(t, entry));
        else if (e != store_errc::ok)
          st.error = e;
      }
      return st.error == store_errc::ok;
    });
  }

  /// The task an index entry points to, when it is worth checking: not
  /// when it is undecodable (reported once already) or a read fails.
  std::optional<task> indexed_task(check_state& st, task_id id,
                                   const std::string& entry) const {
    std::optional<task> t;
    if (st.undecodable.count(id) != 0)
      return t;
    st.error = find_task(id, t);
    if (st.error == store_errc::ok && !t)
      st.report(entry + ": no such task");
    return t;
  }

  void check_index_entry(check_state& st, keys::field f, std::string_view v,
                         task_id id) const {
    // The index says what an undecodable record held: count it there, so
    // that its counters are not reported as well.
    if (st.undecodable.count(id) != 0)
      ++st.recount[keys::value_prefix(f, v)];
    auto entry = "index entry " + shown(f, v) + " of task "
                 + std::to_string(id);
    auto t = indexed_task(st, id, entry);
    if (t && keys::field_value(*t, f) != v)
      st.report(entry + ": the task has "
                + shown(f, keys::field_value(*t, f)));
  }

  void check_due_entry(check_state& st, millis at, task_id id) const {
    auto entry = "due entry at " + format_time(at) + " of task "
                 + std::to_string(id);
    auto t = indexed_task(st, id, entry);
    if (t && t->status != task_status::pending)
      st.report(entry + ": the task is " + std::string(status_text(t->status)));
    else if (t && t->scheduled_at != at)
      st.report(entry + ": the task is due at "
                + (t->scheduled_at == 0 ? std::string("no set time")
                                        : format_time(t->scheduled_at)));
  }

  /// Whether `key` is a well-formed index entry; when `verify`, also
  /// checks it against its task.
  bool index_entry(check_state& st, std::string_view key, bool verify) const {
    millis at = 0;
    keys::field f{};
    std::string_view value, rest;
    if (!key.empty() && key[0] == static_cast<char>(keys::field::due)) {
      task_id id = 0;
      if (!keys::parse_due(key, at, id))
        return false;
      if (verify)
        check_due_entry(st, at, id);
      return true;
    }
    if (!keys::split_value_prefix(key, f, value, rest) || !is_indexed(f)
        || rest.size() != keys::id_size)
      return false;
    if (verify)
      check_index_entry(st, f, value, keys::get_u64(rest));
    return true;
  }

  /// The index: every entry is well formed, points to a task that has the
  /// entry's value, and each task's entries are there. A digest of each
  /// part of the index (a field, the due index) is compared with the one
  /// the tasks call for: a sound store costs one walk of the keys, and only
  /// a part whose digests differ is searched entry by entry.
  store_errc check_index(check_state& st) const {
    std::map<char, digest> present;
    auto e = for_each_entry(cf::index, [&](const auto& key, const auto&) {
      st.tick();
      auto k = key.ToStringView();
      if (index_entry(st, k, false))
        present[k[0]].add(k);
      else
        st.report("index: malformed key " + hex(k));
      return true;
    });
    std::set<char> differ;
    for (const auto& [tag, d] : present)
      if (d != st.expected[tag])
        differ.insert(tag);
    for (const auto& [tag, d] : st.expected)
      if (d != present[tag])
        differ.insert(tag);
    if (e != store_errc::ok || differ.empty())
      return e;
    st.total += st.tasks;
    for (char tag : differ)
      st.total += present[tag].count;
    e = find_missing_entries(st, differ);
    for (char tag : differ) {
      if (e != store_errc::ok || st.error != store_errc::ok)
        break;
      e = walk(cf::index, std::string(1, tag), std::string(1, tag + 1),
               false, [&](const auto& key, const auto&) {
                 st.tick();
                 index_entry(st, key.ToStringView(), true);
                 return st.error == store_errc::ok;
               });
    }
    return e;
  }

  /// The counters: each equals the recount, none is missing.
  store_errc check_counters(check_state& st) const {
    if (st.tasks > 0)
      st.recount[keys::total_counter()] = st.tasks;
    auto name = [](std::string_view key) -> std::optional<std::string> {
      keys::field f{};
      std::string_view value, rest;
      if (key == keys::total_counter())
        return "counter of all tasks";
      if (keys::split_value_prefix(key, f, value, rest) && is_indexed(f)
          && rest.empty())
        return "counter of " + shown(f, value);
      return std::nullopt;
    };
    auto e = for_each_entry(cf::counters, [&](const auto& key,
                                              const auto& value) {
      auto counter = name(key.ToStringView());
      if (!counter) {
        st.report("counters: malformed key " + hex(key.ToStringView()));
        return true;
      }
      uint64_t stored = 0;
      auto i = st.recount.find(key.ToString());
      uint64_t expected = i == st.recount.end() ? 0 : i->second;
      if (i != st.recount.end())
        st.recount.erase(i);
      if (!parse_u64(value, stored))
        st.report(*counter + ": the value is not a u64");
      else if (stored != expected)
        st.report(*counter + " is " + std::to_string(stored)
                  + ", a recount gives " + std::to_string(expected));
      return true;
    });
    for (const auto& [key, n] : st.recount)
      st.report(*name(key) + " is missing, a recount gives "
                + std::to_string(n));
    return e;
  }

  /// next_id and next_queue_seq as stored are above every stored one.
  store_errc check_meta(check_state& st) const {
    uint64_t next = 0, next_seq = 0;
    for (auto [key, out] : {std::pair{keys::next_id, &next},
                            std::pair{keys::next_queue_seq, &next_seq}})
      if (auto s = read_meta(key, *out); !s.ok() && !s.IsNotFound())
        return errc_of(s);
    if (st.tasks > 0 && next <= st.max_id)
      st.report("next_id is " + std::to_string(next) + ", not above task "
                + std::to_string(st.max_id));
    if (st.max_queue_seq > 0 && next_seq <= st.max_queue_seq)
      st.report("next_queue_seq is " + std::to_string(next_seq)
                + ", not above the queue_seq "
                + std::to_string(st.max_queue_seq) + " of a task");
    return store_errc::ok;
  }

  /// The logs: each belongs to a task and decodes.
  store_errc check_logs(check_state& st) const {
    return for_each_entry(cf::logs, [&](const auto& key, const auto& value) {
      if (key.size() != keys::id_size) {
        st.report("logs: malformed key " + hex(key.ToStringView()));
        return true;
      }
      auto name = "log of task "
                  + std::to_string(keys::get_u64(key.ToStringView()));
      std::string ignored;
      auto e = read(cf::tasks, key.ToStringView(), ignored);
      if (e == store_errc::not_found)
        st.report(name + ": no such task");
      else if (e != store_errc::ok)
        st.error = e;
      std::vector<log_line> lines;
      if (!codec::decode(value.ToStringView(), lines))
        st.report(name + ": the record cannot be decoded");
      return st.error == store_errc::ok;
    });
  }
};

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

store::~store() = default;

std::unique_ptr<store> store::open(const options& opts, std::string& error) {
  auto p = std::make_unique<impl>();
  p->opts = opts;
  if (!p->open_db(error) || !p->check_schema(error) || !p->load_state(error))
    return nullptr;
  return std::unique_ptr<store>(new store(std::move(p)));
}

task_id store::next_id() const {
  return impl_->next_id;
}

uint64_t store::next_queue_seq() const {
  return impl_->next_queue_seq;
}

// -- tasks ------------------------------------------------------------------

store_errc store::insert(const std::vector<task>& tasks,
                         const idempotency_record* key) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto c = impl_->begin();
  for (const task& t : tasks) {
    // An id below next_id may have existed: reusing it would break the
    // promise that ids are never reused, and the counters.
    if (t.id < impl_->next_id || c.staged.count(t.id) != 0)
      return store_errc::io_error;
    impl_->stage(c, nullptr, &t);
  }
  if (key != nullptr)
    c.batch.Put(impl_->handle(cf::idempotency), key->key, codec::encode(*key));
  return impl_->commit(c);
}

store_errc store::update(const std::vector<task>& tasks,
                         const std::vector<task_log>& logs) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto c = impl_->begin();
  for (const task& t : tasks) {
    std::optional<task> before;
    if (auto e = impl_->current(c, t.id, before); e != store_errc::ok)
      return e;
    if (!before)
      return store_errc::not_found;
    impl_->stage(c, &*before, &t);
  }
  for (const task_log& log : logs)
    if (auto e = impl_->stage_log(c, log); e != store_errc::ok)
      return e;
  return impl_->commit(c);
}

store_errc store::erase(const std::vector<task_id>& ids,
                        std::vector<task_id>& erased) {
  erased.clear();
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto c = impl_->begin();
  for (task_id id : ids) {
    std::optional<task> before; // empty too when erased earlier in this call
    if (auto e = impl_->current(c, id, before); e != store_errc::ok)
      return e;
    if (!before)
      continue;
    impl_->stage(c, &*before, nullptr);
    erased.push_back(id);
  }
  auto e = erased.empty() ? store_errc::ok : impl_->commit(c);
  if (e != store_errc::ok)
    erased.clear();
  return e;
}

store_errc store::get(task_id id, task& out) const {
  return impl_->load_task(id, out, store_errc::not_found);
}

store_errc store::get_log(task_id id, std::vector<log_line>& out) const {
  out.clear();
  std::string bytes;
  if (auto e = impl_->read(cf::tasks, keys::task_key(id), bytes);
      e != store_errc::ok)
    return e;
  auto e = impl_->read(cf::logs, keys::task_key(id), bytes);
  if (e == store_errc::not_found)
    return store_errc::ok;
  if (e == store_errc::ok && !codec::decode(bytes, out)) {
    out.clear();
    e = store_errc::corrupt;
  }
  return e;
}

store_errc store::list(const task_filter& filter, uint32_t page,
                       uint32_t page_size, task_page& out) const {
  out = {};
  auto others = wanted_fields(filter);
  // Walk the index of the rarest wanted value and test the others; with no
  // filter, walk the tasks themselves.
  auto family = cf::tasks;
  std::string prefix;
  uint64_t total = impl_->counter(keys::total_counter());
  auto rarest = std::min_element(
    others.begin(), others.end(), [&](const auto& a, const auto& b) {
      return impl_->counter(keys::value_prefix(a.first, a.second))
             < impl_->counter(keys::value_prefix(b.first, b.second));
    });
  if (rarest != others.end()) {
    family = cf::index;
    prefix = keys::value_prefix(rarest->first, rarest->second);
    total = impl_->counter(prefix);
    others.erase(rarest);
  }

  uint64_t first = uint64_t{std::max(page, 1u) - 1} * page_size;
  uint64_t last = first + page_size;
  uint64_t seen = 0; // matches so far
  auto e = store_errc::ok;
  auto walked = impl_->walk_ids(
    family, prefix, true, [&](task_id id, const rocksdb::Slice& value) {
      bool in_page = seen >= first && seen < last;
      task t;
      if (in_page || !others.empty()) {
        e = family == cf::tasks ? decode_task(id, value, t)
                                : impl_->load_task(id, t, store_errc::corrupt);
        if (e != store_errc::ok)
          return false;
        if (!matches(t, others))
          return true;
      }
      if (in_page)
        out.tasks.push_back(std::move(t));
      ++seen;
      // Only a walk that tests fields has to go on to count the total.
      return !others.empty() || seen < last;
    });
  if (e == store_errc::ok)
    e = walked;
  out.total = others.empty() ? total : seen;
  if (e != store_errc::ok)
    out = {};
  return e;
}

task_counts store::counts() const {
  task_counts out;
  out.total = impl_->counter(keys::total_counter());
  for (int s = 0; s < status_count; ++s)
    out.by_status[s] = impl_->counter(keys::value_prefix(
      keys::field::status, keys::status_value(static_cast<task_status>(s))));
  return out;
}

store_errc store::for_each_with_status(
  task_status status, const std::function<bool(const task&)>& f) const {
  return impl_->for_each_with_status(status, f);
}

store_errc store::for_each_task(
  const std::function<bool(const task&)>& f) const {
  return impl_->for_each_task_of(cf::tasks, "", f);
}

store_errc store::for_each_due(
  millis from, millis until,
  const std::function<bool(millis due, task_id id)>& f) const {
  if (!impl_->has_due_index)
    return store_errc::schema_mismatch;
  if (from >= until)
    return store_errc::ok;
  auto e = store_errc::ok;
  auto walked = impl_->walk(
    cf::index, keys::due(from, 0), keys::due(until, 0), false,
    [&](const rocksdb::Slice& key, const rocksdb::Slice&) {
      millis due = 0;
      task_id id = 0;
      if (!keys::parse_due(key.ToStringView(), due, id))
        e = store_errc::corrupt;
      return e == store_errc::ok && f(due, id);
    });
  return e != store_errc::ok ? e : walked;
}

// -- inspection -------------------------------------------------------------

store_errc store::info(store_info& out) const {
  out = {};
  const auto& i = *impl_;
  out.path = i.opts.path;
  for (auto [key, into] :
       {std::pair{keys::schema_version, &out.schema_version},
        std::pair{keys::next_id, &out.next_id},
        std::pair{keys::next_queue_seq, &out.next_queue_seq}})
    if (auto s = i.read_meta(key, *into); !s.ok() && !s.IsNotFound())
      return errc_of(s);
  out.counts = counts();
  for (const auto& [key, n] : i.counters) {
    keys::field f{};
    std::string_view value, rest;
    if (keys::split_value_prefix(key, f, value, rest) && rest.empty()
        && is_indexed(f) && f != keys::field::status)
      out.values.push_back({keys::field_name(f), std::string(value), n});
  }
  std::sort(out.values.begin(), out.values.end(), [](auto& a, auto& b) {
    return std::tie(a.field, a.value) < std::tie(b.field, b.value);
  });
  for (auto [family, into] : {std::pair{cf::devices, &out.devices},
                              std::pair{cf::accounts, &out.accounts}})
    if (auto e = i.for_each_entry(family, [into = into](const auto&,
                                                        const auto&) {
          ++*into;
          return true;
        });
        e != store_errc::ok)
      return e;
  using props = rocksdb::DB::Properties;
  for (size_t c = 0; c < cf_names.size(); ++c) {
    auto& fam = out.families.emplace_back();
    fam.name = cf_names[c];
    for (auto [property, into] :
         {std::pair{&props::kEstimateLiveDataSize, &fam.live_data_bytes},
          std::pair{&props::kTotalSstFilesSize, &fam.sst_bytes},
          std::pair{&props::kCurSizeAllMemTables, &fam.memtable_bytes},
          std::pair{&props::kEstimateNumKeys, &fam.estimated_keys}})
      i.db->GetIntProperty(i.handles[c], *property, into);
  }
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(out.path, ec), end;
       !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec))
      out.directory_bytes += it->file_size(ec);
  return store_errc::ok;
}

store_errc store::check(
  const std::function<void(const std::string& problem)>& report,
  const std::function<void(uint64_t done, uint64_t total)>& progress) const {
  check_state st{report, progress};
  // The total counter counts the tasks, the others their index entries;
  // due entries are at most one per pending task.
  for (const auto& [key, n] : impl_->counters)
    st.total += n;
  st.total += counts().by_status[static_cast<size_t>(task_status::pending)];
  for (auto walk : {&impl::check_tasks, &impl::check_index,
                    &impl::check_counters, &impl::check_meta,
                    &impl::check_logs}) {
    auto e = (impl_.get()->*walk)(st);
    if (e == store_errc::ok)
      e = st.error;
    if (e != store_errc::ok)
      return e;
  }
  if (progress)
    progress(std::max(st.done, st.total), std::max(st.done, st.total));
  return store_errc::ok;
}

// -- idempotency keys -------------------------------------------------------

store_errc store::find_idempotency(const std::string& key,
                                   idempotency_record& out) const {
  std::string bytes;
  auto e = impl_->read(cf::idempotency, key, bytes);
  if (e != store_errc::ok)
    return e;
  return codec::decode(bytes, out) ? store_errc::ok : store_errc::corrupt;
}

// -- devices and accounts ---------------------------------------------------

store_errc store::add_device(const std::string& serial) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::devices), serial, rocksdb::Slice());
  return impl_->write(batch);
}

std::vector<std::string> store::devices() const {
  std::vector<std::string> out;
  impl_->for_each_entry(cf::devices, [&](const auto& key, const auto&) {
    out.push_back(key.ToString());
    return true;
  });
  return out;
}

store_errc store::put_account(const account& a) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::accounts), a.username, codec::encode(a));
  return impl_->write(batch);
}

store_errc store::erase_account(const std::string& username) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  std::string bytes;
  if (auto e = impl_->read(cf::accounts, username, bytes); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->handle(cf::accounts), username);
  return impl_->write(batch);
}

store_errc store::get_account(const std::string& username,
                              account& out) const {
  std::string bytes;
  if (auto e = impl_->read(cf::accounts, username, bytes); e != store_errc::ok)
    return e;
  return codec::decode(bytes, out) ? store_errc::ok : store_errc::corrupt;
}

std::vector<account> store::accounts() const {
  std::vector<account> out;
  impl_->for_each_entry(cf::accounts, [&](const auto&, const auto& value) {
    // An unreadable record is left out rather than hiding all the others.
    if (account a; codec::decode(value.ToStringView(), a))
      out.push_back(std::move(a));
    return true;
  });
  return out;
}

bool store::write_schema_version_for_test(const std::string& path,
                                          uint32_t version) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  rocksdb::WriteBatch batch;
  batch.Put(s->impl_->handle(cf::meta), keys::schema_version,
            keys::u64_bytes(version));
  return s->impl_->write(batch) == store_errc::ok;
}

bool store::drop_due_index_for_test(const std::string& path) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  auto tag = static_cast<char>(keys::field::due);
  rocksdb::WriteBatch batch;
  auto e = s->impl_->walk(
    cf::index, std::string(1, tag), std::string(1, tag + 1), false,
    [&](const rocksdb::Slice& key, const rocksdb::Slice&) {
      batch.Delete(s->impl_->handle(cf::index), key);
      return true;
    });
  return e == store_errc::ok && s->impl_->write(batch) == store_errc::ok;
}

bool store::corrupt_for_test(const std::string& path, corruption kind,
                             task_id id) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  const auto& i = *s->impl_;
  std::optional<task> t;
  bool needs_task = kind != corruption::stray_index_entry
                    && kind != corruption::orphan_log;
  if (i.find_task(id, t) != store_errc::ok || t.has_value() != needs_task)
    return false;
  auto serial_entry = [&](const std::string& serial) {
    return keys::index(keys::field::serial, serial, id);
  };
  rocksdb::WriteBatch b;
  auto* index = i.handle(cf::index);
  switch (kind) {
    case corruption::drop_index_entry:
      b.Delete(index, serial_entry(t->serial));
      break;
    case corruption::stray_index_entry:
      b.Put(index,
            keys::index(keys::field::status,
                        keys::status_value(task_status::pending), id),
            rocksdb::Slice());
      break;
    case corruption::wrong_index_value:
      b.Put(index, serial_entry(t->serial + "-wrong"), rocksdb::Slice());
      break;
    case corruption::wrong_counter: {
      auto key = keys::value_prefix(keys::field::serial, t->serial);
      b.Put(i.handle(cf::counters), key, keys::u64_bytes(i.counter(key) + 7));
      break;
    }
    case corruption::stale_next_id:
      b.Put(i.handle(cf::meta), keys::next_id, keys::u64_bytes(id));
      break;
    case corruption::undecodable_task:
      b.Put(i.handle(cf::tasks), keys::task_key(id), "\xff garbage");
      break;
    case corruption::drop_due_entry:
      if (!due_entry(&*t))
        return false;
      b.Delete(index, *due_entry(&*t));
      break;
    case corruption::orphan_log:
      b.Put(i.handle(cf::logs), keys::task_key(id),
            codec::encode(std::vector<log_line>{{1, "orphan"}}));
      break;
  }
  return s->impl_->write(b) == store_errc::ok;
}

} // namespace tmx

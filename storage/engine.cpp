// The engine of the store: the RocksDB database and its column families,
// opening (primary, secondary or read-only), the schema version check and
// the migration at open, and the reads every other part builds on.
#include "storage/engine.hpp"

#include "storage/codec.hpp"
#include "storage/lists.hpp"
#include "storage/rocks_logger.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/experimental.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <system_error>

namespace tmx {

namespace {

constexpr size_t block_cache_bytes = 32 << 20;
constexpr size_t write_buffer_bytes = 16 << 20;

rocksdb::ColumnFamilyOptions family_options() {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions o;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.write_buffer_size = write_buffer_bytes;
  return o;
}

} // namespace

namespace engine {

store_errc errc_of(const rocksdb::Status& s) {
  if (s.ok())
    return store_errc::ok;
  if (s.IsNotFound())
    return store_errc::not_found;
  return s.IsCorruption() ? store_errc::corrupt : store_errc::io_error;
}

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

std::optional<std::string> due_entry(const task* t) {
  if (t == nullptr || t->status != task_status::pending || t->scheduled_at == 0)
    return std::nullopt;
  return keys::due(t->scheduled_at, t->id);
}

} // namespace engine

using engine::cf_names;
using engine::decode_task;
using engine::due_entry;
using engine::parse_u64;

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

// -- lifetime ---------------------------------------------------------------

store::impl::~impl() {
  close();
  if (!secondary_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(secondary_dir, ignored);
  }
}

void store::impl::close() {
  for (auto* h : handles)
    db->DestroyColumnFamilyHandle(h);
  handles.clear();
  delete db;
  db = nullptr;
}

// -- opening ----------------------------------------------------------------

bool store::impl::refuse(std::string& error, const std::string& what,
                         const std::string& detail) const {
  error = what + ": " + opts.path + ": " + detail;
  return false;
}

bool store::impl::open_db(std::string& error) {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = !opts.read_only;
  db_opts.create_missing_column_families = !opts.read_only;
  db_opts.skip_stats_update_on_db_open = true;
  db_opts.info_log = engine::make_process_logger(opts.read_only);
  // Lets rarely written families (devices, accounts) be flushed so that
  // old WAL files go.
  db_opts.max_total_wal_size = 4 * write_buffer_bytes;
  // Every family's memtables together (12 families of up to two 16 MB
  // ones each would be 384 MB): the fullest is flushed beyond this.
  db_opts.db_write_buffer_size = 2 * write_buffer_bytes;

  auto cf_opts = family_options();
  auto list_opts = cf_opts;
  list_opts.merge_operator = lists::add_operator();
  // A count read folds the operands the memtables hold (flushes and
  // compactions fold the rest). No limit: with one (it was 32) every merge
  // counted the operands before it, 17 % of the store thread, and a hot
  // count gets one operand per grouped write only (decision 0032).
  list_opts.max_successive_merges = 0;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : cf_names)
    families.emplace_back(name, std::string_view(name) == "lists" ? list_opts
                                                                  : cf_opts);
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_opts);

  // Fails on a new database, which is fine unless we may not create one.
  std::vector<std::string> existing;
  auto listed = rocksdb::DB::ListColumnFamilies(db_opts, opts.path, &existing);
  if (opts.read_only && !listed.ok())
    return refuse(error, "cannot open read-only", listed.ToString());
  for (const char* name : cf_names)
    if (opts.read_only
        && std::find(existing.begin(), existing.end(), name) == existing.end())
      return refuse(error, "not a tmx data directory",
                    std::string("no column family '") + name + "'");
  // A primary must open every family the database has, even unknown
  // ones, to get as far as the schema check; a retired one is opened to be
  // dropped (drop_retired_families).
  for (const auto& name : existing)
    if (std::none_of(families.begin(), families.end(),
                     [&](const auto& f) { return f.name == name; }))
      families.emplace_back(name, cf_opts);

  // RocksDB creates it too, but first logs an error about its absence.
  if (!opts.read_only) {
    std::error_code ignored;
    std::filesystem::create_directories(opts.path, ignored);
  }
  auto s = opts.read_only
             ? open_read_only(db_opts, families)
             : rocksdb::DB::Open(db_opts, opts.path, families, &handles, &db);
  return s.ok() || refuse(error, "cannot open", s.ToString());
}

// A secondary instance replays the live writer's WAL, so it sees writes
// that are not flushed yet; plain read-only is the fallback.
rocksdb::Status store::impl::open_read_only(
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
  return rocksdb::DB::OpenForReadOnly(db_opts, opts.path, families, &handles,
                                      &db);
}

rocksdb::Status store::impl::read_meta(std::string_view key,
                                       uint64_t& out) const {
  std::string value;
  auto s = db->Get({}, handle(cf::meta), key, &value);
  if (s.ok() && !parse_u64(value, out))
    return rocksdb::Status::Corruption(std::string(key) + " is not a u64");
  return s;
}

bool store::impl::check_schema(std::string& error) {
  uint64_t version = 0;
  auto s = read_meta(keys::schema_version, version);
  if (s.IsNotFound())
    return initialise(error);
  if (!s.ok())
    return refuse(error, "cannot read the schema version", s.ToString());
  if (version == schema_version)
    return true;
  if (version < schema_version && version >= 1 && opts.read_only) {
    stored_version = version;
    has_due_index = version >= 2;
    has_lists = version >= 4; // a reader of 3 would see no queues
    return true;
  }
  if (version < schema_version && version >= 1)
    return migrate(version, error);
  return refuse(error, "schema_mismatch",
                "schema version " + std::to_string(version)
                  + ", this tmx reads version "
                  + std::to_string(schema_version));
}

// A database without a schema version: a new one, unless it holds tasks.
bool store::impl::initialise(std::string& error) {
  bool empty = true;
  auto e = walk_ids(cf::tasks, "", true,
                    [&](task_id, const auto&) { return empty = false; });
  if (e != store_errc::ok || !empty || opts.read_only)
    return refuse(error, "schema_mismatch",
                  "no schema version (not a tmx data directory?)");
  rocksdb::WriteBatch batch;
  return write_schema(batch, error, "cannot initialise");
}

// What a version added is built from the tasks, and the batch that sets the
// current version comes last: a crash before it leaves the old version,
// and the next open starts over (every part is written as absolute values,
// so building twice gives the same).
bool store::impl::migrate(uint64_t version, std::string& error) {
  auto what = "cannot migrate from schema version " + std::to_string(version);
  rocksdb::WriteBatch batch;
  if (version < 2) { // 2 added the due index
    auto e = for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
      task t;
      if (key.size() == keys::id_size
          && decode_task(keys::get_u64(key.ToStringView()), value, t)
               == store_errc::ok)
        if (auto entry = due_entry(&t))
          batch.Put(handle(cf::index), *entry, rocksdb::Slice());
      return true; // an undecodable task: tmxctl db check reports it
    });
    if (e != store_errc::ok)
      return refuse(error, what, to_string(e));
  }
  if (version < 4) { // 3 added the list index, 4 the queues in it
    std::string detail;
    if (auto e = build_lists(batch, detail); e != store_errc::ok)
      return refuse(error, what, detail.empty() ? to_string(e) : detail);
  }
  // 5 removed the per-field index (its counters go with their family,
  // drop_retired_families).
  const std::string first(1, keys::first_retired_tag), end(1, keys::due_tag);
  if (version < 5) {
    batch.DeleteRange(handle(cf::index), first, end);
    // and the bucket counts of the streams that fix a serial (lists.hpp).
    for (uint8_t mask = 0; mask < lists::mask_count; ++mask)
      if (!lists::has_buckets(mask))
        batch.DeleteRange(handle(cf::lists),
                          std::string{lists::bucket_tag, char(mask)},
                          std::string{lists::bucket_tag, char(mask + 1)});
  }
  if (!write_schema(batch, error, what))
    return false;
  // The deleted entries go when their files are compacted: soon, in the
  // background.
  if (version < 5) {
    rocksdb::Slice from{first}, to{end};
    rocksdb::experimental::SuggestCompactRange(db, handle(cf::index), &from,
                                               &to);
  }
  return true;
}

// Writes `batch` with the current schema version, synced.
bool store::impl::write_schema(rocksdb::WriteBatch& batch, std::string& error,
                               const std::string& what) {
  batch.Put(handle(cf::meta), keys::schema_version,
            keys::u64_bytes(schema_version));
  rocksdb::WriteOptions wo;
  wo.sync = true; // once per database or migration: worth an fsync
  auto s = db->Write(wo, &batch);
  return s.ok() || refuse(error, what, s.ToString());
}

// Every family of retired_cf_names is dropped, once the schema version
// (written first by migrate) no longer needs it: a crash in between leaves
// it to the next open.
bool store::impl::drop_retired_families(std::string& error) {
  for (size_t i = cf_names.size(); i < handles.size();) {
    const auto& name = handles[i]->GetName();
    if (std::find(engine::retired_cf_names.begin(),
                  engine::retired_cf_names.end(), name)
        == engine::retired_cf_names.end()) {
      ++i;
      continue;
    }
    if (auto s = db->DropColumnFamily(handles[i]); !s.ok())
      return refuse(error, "cannot drop the column family " + name,
                    s.ToString());
    db->DestroyColumnFamilyHandle(handles[i]);
    handles.erase(handles.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return true;
}

bool store::impl::load_state(std::string& error) {
  if (!load_totals(error))
    return false;
  for (auto [key, out] : {std::pair{keys::next_id, &next_id},
                          std::pair{keys::next_queue_seq, &next_queue_seq},
                          std::pair{keys::next_webhook_id, &next_webhook_id},
                          std::pair{keys::next_schedule_id, &next_schedule_id},
                          std::pair{keys::expired, &expired}})
    if (auto s = read_meta(key, *out); !s.ok() && !s.IsNotFound())
      return refuse(error, "cannot read " + std::string(key), s.ToString());
  // next_id is written with every insert; the highest stored id is a
  // cheap second opinion.
  walk_ids(cf::tasks, "", true, [&](task_id id, const auto&) {
    next_id = std::max(next_id, id + 1);
    return false;
  });
  walk_ids(cf::events, "", true, [&](uint64_t id, const auto&) {
    next_event_id = id + 1;
    return false;
  });
  first_event_id = next_event_id;
  walk_ids(cf::events, "", false, [&](uint64_t id, const auto&) {
    first_event_id = id;
    return false;
  });
  return true;
}

// -- reading ----------------------------------------------------------------

store_errc store::impl::find_task(task_id id, std::optional<task>& out) const {
  std::string bytes;
  auto e = read(cf::tasks, keys::task_key(id), bytes);
  if (e == store_errc::not_found)
    return store_errc::ok;
  if (e != store_errc::ok)
    return e;
  out.emplace();
  return decode_task(id, bytes, *out);
}

store_errc store::impl::load_task(task_id id, task& out,
                                  store_errc if_absent) const {
  std::optional<task> found;
  auto e = find_task(id, found);
  if (e == store_errc::ok && !found)
    return if_absent;
  if (found)
    out = std::move(*found);
  return e;
}

// -- the store --------------------------------------------------------------

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

store::~store() = default;

std::unique_ptr<store> store::open(const options& opts, std::string& error) {
  auto p = std::make_unique<impl>();
  p->opts = opts;
  if (!p->open_db(error) || !p->check_schema(error)
      || (!opts.read_only && !p->drop_retired_families(error))
      || !p->load_state(error))
    return nullptr;
  return std::unique_ptr<store>(new store(std::move(p)));
}

task_id store::next_id() const {
  return impl_->next_id;
}

uint64_t store::next_queue_seq() const {
  return impl_->next_queue_seq;
}

} // namespace tmx

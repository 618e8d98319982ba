// The write path of the store: a task, its due entry, its list index
// entries and counts and the next ids change in one WriteBatch, written
// with one Write; and the small writes of devices and accounts.
#include "storage/engine.hpp"

#include "storage/codec.hpp"
#include "storage/lists.hpp"

#include "model/time.hpp"

#include <rocksdb/perf_level.h>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

using engine::cf;
using engine::due_entry;
using engine::errc_of;

// -- staging a change -------------------------------------------------------

store_errc store::impl::write(rocksdb::WriteBatch& batch) {
  if (!resume())
    return store_errc::io_error;
  // RocksDB counts every key comparison in a thread-local perf context
  // unless told not to (its default level): 6 % of the store thread in
  // memtable inserts. Per thread, so said where the writes are made.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  rocksdb::WriteOptions wo;
  wo.sync = opts.sync && !deferred_sync;
  auto s = db->Write(wo, &batch);
  if (!s.ok())
    note_failure(s);
  else
    ++writes;
  if (s.ok() && opts.sync && deferred_sync)
    unsynced = true;
  return errc_of(s);
}

// -- a store that cannot write ----------------------------------------------

void store::impl::note_failure(const rocksdb::Status& s) {
  // What /readyz says: no paths, nothing of RocksDB's wording.
  auto why = s.IsNoSpace()      ? "no space left on device"
             : s.IsIOError()    ? "I/O error"
             : s.IsCorruption() ? "corruption detected"
                                : "write refused";
  if (write_failure.empty())
    spdlog::error("store: writes refused until the store recovers: {}",
                  s.ToString());
  write_failure = std::string("store is not writable: ") + why;
  next_resume = std::chrono::steady_clock::now() + resume_interval;
}

bool store::impl::resume() {
  if (write_failure.empty())
    return true;
  auto now = std::chrono::steady_clock::now();
  if (now < next_resume)
    return false;
  next_resume = now + resume_interval;
  // OK once RocksDB has no background error left: recovered by itself
  // (space is back) or by this call. Busy while its own recovery runs.
  if (!db->Resume().ok())
    return false;
  spdlog::info("store: writable again ({} cleared)", write_failure);
  write_failure.clear();
  return true;
}

store::impl::task_change store::impl::begin() const {
  task_change c;
  c.next_id = next_id;
  c.next_queue_seq = next_queue_seq;
  c.at = now_millis();
  return c;
}

store_errc store::impl::current(const task_change& c, task_id id,
                                std::optional<task>& out) const {
  if (auto i = c.staged.find(id); i != c.staged.end()) {
    out = i->second;
    return store_errc::ok;
  }
  return find_task(id, out);
}

void store::impl::stage(task_change& c, const task* before,
                        const task* after) const {
  task_id id = after ? after->id : before->id;
  auto record = codec::encode(after ? *after : *before);
  if (after)
    c.batch.Put(handle(cf::tasks), keys::task_key(id), record);
  else
    c.batch.Delete(handle(cf::tasks), keys::task_key(id));
  // The event keeps the encoded task: its JSON is rendered off this thread.
  if (auto type = task_event_of(before, after); type && !c.quiet) {
    event e;
    e.type = *type;
    e.at = c.at;
    e.task_record = std::move(record);
    c.events.push_back(std::move(e));
  }
  if (auto from = due_entry(before), to = due_entry(after); from != to) {
    if (from)
      c.batch.Delete(handle(cf::index), *from);
    if (to)
      c.batch.Put(handle(cf::index), *to, rocksdb::Slice());
  }
  stage_lists(c, before, after);
  if (!after)
    c.batch.Delete(handle(cf::logs), keys::task_key(id));
  if (after) {
    c.next_id = std::max(c.next_id, id + 1);
    c.next_queue_seq = std::max(c.next_queue_seq, after->queue_seq + 1);
    c.staged[id] = *after;
  } else {
    c.staged[id] = std::nullopt;
  }
}

store_errc store::impl::commit(task_change& c) {
  // The status totals as they will be: taken over once the write succeeded.
  std::vector<std::pair<const std::string*, uint64_t>> totals;
  for (const auto& [key, delta] : c.list_counts) {
    if (delta == 0)
      continue;
    c.batch.Merge(handle(cf::lists), key, lists::count_bytes(delta));
    if (!lists::is_status_total(key))
      continue;
    auto i = status_totals.find(key);
    auto value = static_cast<int64_t>(i == status_totals.end() ? 0 : i->second)
                 + delta;
    if (value < 0) // the counts disagree with the tasks
      return store_errc::corrupt;
    totals.emplace_back(&key, static_cast<uint64_t>(value));
  }
  if (c.next_id != next_id)
    c.batch.Put(handle(cf::meta), keys::next_id, keys::u64_bytes(c.next_id));
  if (c.next_queue_seq != next_queue_seq)
    c.batch.Put(handle(cf::meta), keys::next_queue_seq,
                keys::u64_bytes(c.next_queue_seq));
  auto next_event = stage_events(c.batch, c.events);
  if (auto e = write(c.batch); e != store_errc::ok)
    return e;
  events_written(c.events, next_event);
  for (auto [key, value] : totals)
    status_totals[*key] = value; // 0 too: the key stays on disk
  next_id = c.next_id;
  next_queue_seq = c.next_queue_seq;
  return store_errc::ok;
}

// -- tasks ------------------------------------------------------------------

store_errc store::insert(const std::vector<task>& tasks,
                         const idempotency_record* key,
                         const schedule* firing) {
  std::vector<task_write> one(1);
  one[0].tasks = tasks;
  if (key != nullptr)
    one[0].key = *key;
  if (firing != nullptr)
    one[0].firing = *firing;
  std::vector<store_errc> refused;
  auto e = write_group(one, refused);
  return refused[0] != store_errc::ok ? refused[0] : e;
}

store_errc store::update(const std::vector<task>& tasks,
                         const std::vector<task_log>& logs) {
  std::vector<task_write> one(1);
  one[0].insert = false;
  one[0].tasks = tasks;
  one[0].logs = logs;
  std::vector<store_errc> refused;
  auto e = write_group(one, refused);
  return refused[0] != store_errc::ok ? refused[0] : e;
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

std::string store::write_failure() {
  if (impl_->opts.read_only)
    return "store is read-only";
  impl_->resume();
  return impl_->write_failure;
}

bool store::refuses_writes() const {
  return !impl_->write_failure.empty();
}

store_errc store::defer_sync(bool on) {
  if (!on && impl_->deferred_sync)
    if (auto e = sync(); e != store_errc::ok)
      return e;
  impl_->deferred_sync = on;
  return store_errc::ok;
}

bool store::unsynced() const {
  return impl_->unsynced;
}

uint64_t store::syncs() const {
  return impl_->syncs;
}

uint64_t store::writes() const {
  return impl_->writes;
}

store_errc store::sync() {
  if (!impl_->unsynced)
    return store_errc::ok;
  impl_->unsynced = false;
  ++impl_->syncs;
  auto s = impl_->db->SyncWAL();
  if (!s.ok())
    impl_->note_failure(s);
  return errc_of(s);
}

// -- devices and accounts ---------------------------------------------------

store_errc store::add_device(const std::string& serial) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::devices), serial, rocksdb::Slice());
  return impl_->write(batch);
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

} // namespace tmx

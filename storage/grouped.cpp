// Grouped writes: the inserts and updates of one mailbox sweep of the store
// actor staged into one change and written with one Write. The hot keys of
// a sweep (list totals and bucket counts, meta) then get one merge or put
// per sweep instead of one per request, and the WAL one append.
#include "storage/engine.hpp"

#include "storage/codec.hpp"

#include <unordered_set>

namespace tmx {

using engine::cf;

namespace {

/// Drops all but the last max_log_lines lines.
void keep_last(std::vector<log_line>& lines) {
  if (lines.size() > store::max_log_lines)
    lines.erase(lines.begin(), lines.end() - store::max_log_lines);
}

} // namespace

store_errc store::impl::joined_log(const task_change& c, const task_log& log,
                                   std::vector<log_line>& out) const {
  std::optional<task> owner;
  if (auto e = current(c, log.id, owner); e != store_errc::ok)
    return e;
  if (!owner)
    return store_errc::not_found;
  out.clear();
  if (log.append) {
    if (auto i = c.logs.find(log.id); i != c.logs.end()) {
      out = i->second;
    } else {
      std::string stored;
      auto e = read(cf::logs, keys::task_key(log.id), stored);
      if (e == store_errc::ok && !codec::decode(stored, out))
        return store_errc::corrupt;
      if (e != store_errc::ok && e != store_errc::not_found)
        return e;
    }
  }
  out.insert(out.end(), log.lines.begin(), log.lines.end());
  keep_last(out);
  return store_errc::ok;
}

store_errc store::impl::stage_insert(task_change& c,
                                     const task_write& w) const {
  // Checked whole before anything is staged: a refused insert leaves `c`
  // as it was.
  // An id below next_id may have existed: reusing it would break the
  // promise that ids are never reused, and the counts.
  // Below the next_id of the writes before it in the group, too (which is
  // above every id the group staged).
  std::unordered_set<task_id> ids;
  for (const task& t : w.tasks)
    if (t.id < c.next_id || !ids.insert(t.id).second)
      return store_errc::io_error;
  if (w.firing) {
    // A deleted schedule never fires (the keeper orders a delete after a
    // firing under way, so this holds on its own; cheap to make sure).
    std::string stored;
    auto skey = keys::schedule_key(w.firing->id);
    if (auto e = read(cf::schedules, skey, stored); e != store_errc::ok)
      return e;
    c.batch.Put(handle(cf::schedules), skey, codec::encode(*w.firing));
  }
  for (const task& t : w.tasks)
    stage(c, nullptr, &t);
  if (w.key)
    c.batch.Put(handle(cf::idempotency), w.key->key, codec::encode(*w.key));
  return store_errc::ok;
}

store_errc store::impl::stage_update(task_change& c,
                                     const task_write& w) const {
  // Every task must exist and every log be readable before anything is
  // staged: a refused update leaves `c` as it was.
  std::vector<task> before;
  before.reserve(w.tasks.size());
  std::unordered_map<task_id, const task*> changed; // by this update
  for (const task& t : w.tasks) {
    if (auto i = changed.find(t.id); i != changed.end()) {
      before.push_back(*i->second); // a second change starts from the first
    } else {
      std::optional<task> now;
      if (auto e = current(c, t.id, now); e != store_errc::ok)
        return e;
      if (!now)
        return store_errc::not_found;
      before.push_back(std::move(*now));
    }
    changed[t.id] = &t;
  }
  // The logs as of this update: a second log of a task sees the first.
  std::unordered_map<task_id, std::vector<log_line>> logs;
  for (const task_log& log : w.logs) {
    auto i = logs.find(log.id);
    if (i != logs.end() && log.append) {
      i->second.insert(i->second.end(), log.lines.begin(), log.lines.end());
      keep_last(i->second);
    } else if (auto e = joined_log(c, log, logs[log.id]); e != store_errc::ok) {
      return e;
    }
  }
  for (size_t i = 0; i < w.tasks.size(); ++i)
    stage(c, &before[i], &w.tasks[i]);
  for (auto& [id, lines] : logs) {
    c.batch.Put(handle(cf::logs), keys::task_key(id), codec::encode(lines));
    c.logs[id] = std::move(lines);
  }
  return store_errc::ok;
}

store_errc store::write_group(const std::vector<task_write>& writes,
                              std::vector<store_errc>& refused) {
  refused.assign(writes.size(), store_errc::ok);
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto c = impl_->begin();
  bool staged = false;
  for (size_t i = 0; i < writes.size(); ++i) {
    const auto& w = writes[i];
    refused[i] = w.insert ? impl_->stage_insert(c, w)
                          : impl_->stage_update(c, w);
    staged = staged || refused[i] == store_errc::ok;
  }
  return staged ? impl_->commit(c) : store_errc::ok;
}

} // namespace tmx

// Retention (storage.retention): the oldest finished tasks, found by their
// ended entries in the list index (lists.hpp), deleted in small batches.
#include "storage/engine.hpp"

#include "storage/lists.hpp"

namespace tmx {

using engine::cf;

store_errc store::expire(millis cutoff, size_t limit, size_t& removed,
                         bool& more) {
  removed = 0;
  more = false;
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto& i = *impl_;
  std::vector<task_id> ids;
  auto bad = false;
  auto e = i.walk(cf::lists, std::string(1, lists::ended_tag),
                  lists::ended_from(cutoff), false,
                  [&](const rocksdb::Slice& key, const rocksdb::Slice&) {
                    millis at = 0;
                    task_id id = 0;
                    if (!lists::parse_ended(key.ToStringView(), at, id))
                      return !(bad = true);
                    ids.push_back(id);
                    return ids.size() < limit;
                  });
  if (e != store_errc::ok || bad)
    return bad ? store_errc::corrupt : e;
  more = ids.size() == limit;
  if (ids.empty())
    return store_errc::ok;
  auto c = i.begin();
  c.quiet = true;
  for (auto id : ids) {
    std::optional<task> t;
    if (auto fe = i.find_task(id, t); fe != store_errc::ok)
      return fe;
    // An ended entry without its task, or one the task no longer calls
    // for: tmxctl db check reports it; retention leaves it alone.
    if (!t || t->active() || t->finished_at >= cutoff)
      continue;
    i.stage(c, &*t, nullptr);
    ++removed;
  }
  if (removed == 0) {
    more = false; // only entries it leaves alone: none to go on with
    return store_errc::ok;
  }
  c.batch.Put(i.handle(cf::meta), keys::expired,
              keys::u64_bytes(i.expired + removed));
  if (auto ce = i.commit(c); ce != store_errc::ok) {
    removed = 0;
    more = false;
    return ce;
  }
  i.expired += removed;
  return store_errc::ok;
}

uint64_t store::expired() const {
  return impl_->expired;
}

} // namespace tmx

// The schedules: one record per schedule, keyed by its id. Creates, edits
// and deletes are written on their own; a firing is written with the
// tasks it creates, in the batch of their insert (writes.cpp), so that no
// crash can make a slot fire twice.
#include "storage/engine.hpp"

#include "storage/check.hpp"
#include "storage/codec.hpp"

namespace tmx {

using engine::cf;

store_errc store::put_schedule(schedule& s) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto next = impl_->next_schedule_id;
  auto stored = s;
  if (stored.id == 0)
    stored.id = next++;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::schedules), keys::schedule_key(stored.id),
            codec::encode(stored));
  if (next != impl_->next_schedule_id)
    batch.Put(impl_->handle(cf::meta), keys::next_schedule_id,
              keys::u64_bytes(next));
  if (auto e = impl_->write(batch); e != store_errc::ok)
    return e;
  impl_->next_schedule_id = next;
  s = std::move(stored);
  return store_errc::ok;
}

store_errc store::erase_schedule(uint64_t id) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  std::string bytes;
  if (auto e = impl_->read(cf::schedules, keys::schedule_key(id), bytes);
      e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->handle(cf::schedules), keys::schedule_key(id));
  return impl_->write(batch);
}

store_errc store::schedules(std::vector<schedule>& out) const {
  out.clear();
  auto bad = store_errc::ok;
  auto walked = impl_->walk_ids(cf::schedules, "", false,
                                [&](uint64_t id, const rocksdb::Slice& value) {
                                  schedule s;
                                  if (!codec::decode(value.ToStringView(), s))
                                    return (bad = store_errc::corrupt)
                                           == store_errc::ok;
                                  s.id = id;
                                  out.push_back(std::move(s));
                                  return true;
                                });
  return bad != store_errc::ok ? bad : walked;
}

store_errc store::impl::check_schedules(check_state& st) const {
  return for_each_entry(cf::schedules, [&](const auto& key, const auto& value) {
    if (key.size() != keys::id_size) {
      st.report("schedules: malformed key 0x"
                + engine::hex(key.ToStringView()));
      return true;
    }
    auto id = keys::get_u64(key.ToStringView());
    auto name = "schedule " + std::to_string(id);
    schedule s;
    if (!codec::decode(value.ToStringView(), s))
      st.report(name + ": the record cannot be decoded");
    if (id == 0 || id >= next_schedule_id)
      st.report(name + ": next_schedule_id " + std::to_string(next_schedule_id)
                + " is not above it");
    return true;
  });
}

} // namespace tmx

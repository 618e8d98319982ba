// The outbox of the event hub and the webhooks' registrations: events are
// written in the same batch as the change they tell of, so that none is
// published that did not happen and none that happened is lost; each
// webhook's cursor says how far its sender got.
#include "storage/engine.hpp"

#include "storage/check.hpp"
#include "storage/codec.hpp"

#include <algorithm>

namespace tmx {

using engine::cf;
using engine::errc_of;

uint64_t store::impl::stage_events(rocksdb::WriteBatch& batch,
                                   std::vector<event>& events) const {
  // No next id in the meta table: the newest event is never deleted
  // (trim_events keeps the newest ones), so the highest key says it.
  auto next = next_event_id;
  for (event& e : events) {
    e.id = next++;
    batch.Put(handle(cf::events), keys::event_key(e.id), codec::encode(e));
  }
  return next;
}

void store::impl::events_written(std::vector<event>& events, uint64_t next) {
  next_event_id = next;
  if (written_events.empty())
    written_events = std::move(events);
  else
    std::move(events.begin(), events.end(), std::back_inserter(written_events));
  events.clear();
}

size_t store::written_event_count() const {
  return impl_->written_events.size();
}

std::vector<event> store::take_events() {
  return std::exchange(impl_->written_events, {});
}

store_errc store::append_events(std::vector<event> events) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  auto next = impl_->stage_events(batch, events);
  if (auto e = impl_->write(batch); e != store_errc::ok)
    return e;
  impl_->events_written(events, next);
  return store_errc::ok;
}

store_errc store::read_events(uint64_t after, size_t limit,
                              std::vector<event>& out) const {
  out.clear();
  if (limit == 0 || after == UINT64_MAX)
    return store_errc::ok;
  auto bad = store_errc::ok;
  auto walked = impl_->walk(
    cf::events, keys::event_key(after + 1), keys::event_key(UINT64_MAX), false,
    [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      event e;
      if (key.size() != keys::id_size
          || !codec::decode(value.ToStringView(), e))
        return (bad = store_errc::corrupt) == store_errc::ok;
      e.id = keys::get_u64(key.ToStringView());
      out.push_back(std::move(e));
      return out.size() < limit;
    });
  return bad != store_errc::ok ? bad : walked;
}

uint64_t store::last_event_id() const {
  return impl_->next_event_id - 1;
}

uint64_t store::first_event_id() const {
  return impl_->first_event_id;
}

store_errc store::trim_events(uint64_t keep_from) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  // The newest event stays: it tells next_event_id at the next open.
  keep_from = std::min(keep_from, impl_->next_event_id - 1);
  if (keep_from <= impl_->first_event_id)
    return store_errc::ok;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(impl_->handle(cf::events),
                    keys::event_key(impl_->first_event_id),
                    keys::event_key(keep_from));
  if (auto e = impl_->write(batch); e != store_errc::ok)
    return e;
  impl_->first_event_id = keep_from;
  return store_errc::ok;
}

// -- webhooks ---------------------------------------------------------------

store_errc store::put_webhook(webhook& w) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  auto next = impl_->next_webhook_id;
  auto stored = w;
  if (stored.id == 0)
    stored.id = next++;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::webhooks), keys::webhook_key(stored.id),
            codec::encode(stored));
  batch.Put(impl_->handle(cf::webhooks), keys::webhook_cursor_key(stored.id),
            keys::u64_bytes(stored.cursor));
  if (next != impl_->next_webhook_id)
    batch.Put(impl_->handle(cf::meta), keys::next_webhook_id,
              keys::u64_bytes(next));
  if (auto e = impl_->write(batch); e != store_errc::ok)
    return e;
  impl_->next_webhook_id = next;
  w = std::move(stored);
  return store_errc::ok;
}

store_errc store::erase_webhook(uint64_t id) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  std::string bytes;
  if (auto e = impl_->read(cf::webhooks, keys::webhook_key(id), bytes);
      e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->handle(cf::webhooks), keys::webhook_key(id));
  batch.Delete(impl_->handle(cf::webhooks), keys::webhook_cursor_key(id));
  return impl_->write(batch);
}

store_errc store::set_webhook_cursor(uint64_t id, uint64_t cursor) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  std::string bytes;
  if (auto e = impl_->read(cf::webhooks, keys::webhook_key(id), bytes);
      e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::webhooks), keys::webhook_cursor_key(id),
            keys::u64_bytes(cursor));
  return impl_->write(batch);
}

store_errc store::webhooks(std::vector<webhook>& out) const {
  out.clear();
  auto bad = store_errc::ok;
  auto walked = impl_->walk_ids(
    cf::webhooks, "w", false, [&](uint64_t id, const rocksdb::Slice& value) {
      webhook w;
      std::string cursor;
      if (!codec::decode(value.ToStringView(), w)
          || impl_->read(cf::webhooks, keys::webhook_cursor_key(id), cursor)
               != store_errc::ok
          || !engine::parse_u64(cursor, w.cursor))
        return (bad = store_errc::corrupt) == store_errc::ok;
      w.id = id;
      out.push_back(std::move(w));
      return true;
    });
  return bad != store_errc::ok ? bad : walked;
}

// -- checking -----------------------------------------------------------------

store_errc store::impl::check_events(check_state& st) const {
  auto e = for_each_entry(cf::events, [&](const auto& key, const auto& value) {
    if (key.size() != keys::id_size) {
      st.report("events: malformed key");
      return true;
    }
    event ev;
    if (!codec::decode(value.ToStringView(), ev))
      st.report("event " + std::to_string(keys::get_u64(key.ToStringView()))
                + ": the record cannot be decoded");
    return true;
  });
  if (e != store_errc::ok)
    return e;
  return for_each_entry(cf::webhooks, [&](const auto& key, const auto& value) {
    auto k = key.ToStringView();
    if (k.size() != 1 + keys::id_size || (k[0] != 'w' && k[0] != 'c')) {
      st.report("webhooks: malformed key");
      return true;
    }
    auto name = "webhook " + std::to_string(keys::get_u64(k.substr(1)));
    std::string other;
    auto twin = k[0] == 'w'
                  ? keys::webhook_cursor_key(keys::get_u64(k.substr(1)))
                  : keys::webhook_key(keys::get_u64(k.substr(1)));
    if (read(cf::webhooks, twin, other) != store_errc::ok)
      st.report(name + (k[0] == 'w' ? ": no cursor" : ": a cursor without it"));
    webhook w;
    uint64_t cursor = 0;
    if (k[0] == 'w' ? !codec::decode(value.ToStringView(), w)
                    : !engine::parse_u64(value, cursor))
      st.report(name + ": the record cannot be decoded");
    return true;
  });
}

} // namespace tmx

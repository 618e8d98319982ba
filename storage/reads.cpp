// The reads of the store: a task (list queries: lists.cpp; counts and the
// status walk: list_totals.cpp), the due index walk, logs, idempotency
// records, devices and accounts.
#include "storage/engine.hpp"

#include "storage/codec.hpp"

#include <algorithm>

namespace tmx {

using engine::cf;
using engine::decode_task;

// -- tasks ------------------------------------------------------------------

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

std::vector<std::string> store::devices() const {
  std::vector<std::string> out;
  impl_->for_each_entry(cf::devices, [&](const auto& key, const auto&) {
    out.push_back(key.ToString());
    return true;
  });
  return out;
}

store_errc store::get_account(const std::string& username, account& out) const {
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

} // namespace tmx

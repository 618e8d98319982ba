// The reads of the store: a task, a page of a list query over the index of
// its rarest wanted value, the counts from counters, the status and due
// index walks, logs, idempotency records, devices and accounts.
#include "storage/engine.hpp"

#include "storage/codec.hpp"

#include <algorithm>

namespace tmx {

namespace {

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

} // namespace

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

store_errc
store::for_each_with_status(task_status status,
                            const std::function<bool(const task&)>& f) const {
  return impl_->for_each_with_status(status, f);
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

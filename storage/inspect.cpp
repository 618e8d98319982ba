// Inspection of a store (tmxctl db info, check, dump): its figures as
// stored, a walk of every task, and store::check with its walks of the
// tasks, meta and logs (the due index walk is in check_index.cpp, the list
// index walk in check_lists.cpp).
#include "storage/check.hpp"

#include "storage/codec.hpp"
#include "storage/lists.hpp"

#include <rocksdb/db.h>

#include <cstdio>
#include <filesystem>

namespace tmx {

namespace engine {

std::string shown(std::string_view field, std::string_view value) {
  std::string out(field);
  out += " \"";
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

std::string shown_status(uint8_t status) {
  return "status "
         + (status < status_count
              ? std::string(status_text(static_cast<task_status>(status)))
              : std::to_string(status));
}

std::string hex(std::string_view key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

} // namespace engine

using engine::cf;
using engine::check_state;
using engine::decode_task;
using engine::due_entry;
using engine::errc_of;
using engine::hex;

// -- walks of store::check --------------------------------------------------

store_errc store::impl::check_tasks(check_state& st) const {
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
    if (auto due = due_entry(&t); due && has_due_index)
      st.due_expected.add(*due);
    if (has_lists) {
      for (const auto& entry : lists::entries_of(t))
        st.list_expected.add(entry);
      if (auto q = lists::queue_entry(&t))
        st.list_expected.add(q->first + '\0' + q->second);
      lists::add_counts(t, 1, st.list_recount);
    }
    return true;
  });
}

store_errc store::impl::check_meta(check_state& st) const {
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
              + ", not above the queue_seq " + std::to_string(st.max_queue_seq)
              + " of a task");
  return store_errc::ok;
}

store_errc store::impl::check_logs(check_state& st) const {
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

// -- the store --------------------------------------------------------------

store_errc
store::for_each_task(const std::function<bool(const task&)>& f) const {
  return impl_->for_each_stored_task(f);
}

store_errc store::info(store_info& out) const {
  out = {};
  const auto& i = *impl_;
  out.path = i.opts.path;
  for (auto [key, into] : {std::pair{keys::schema_version, &out.schema_version},
                           std::pair{keys::next_id, &out.next_id},
                           std::pair{keys::next_queue_seq, &out.next_queue_seq},
                           std::pair{keys::expired, &out.expired}})
    if (auto s = i.read_meta(key, *into); !s.ok() && !s.IsNotFound())
      return errc_of(s);
  out.counts = counts();
  if (auto e = i.value_counts(out.values); e != store_errc::ok)
    return e;
  for (auto [family, into] : {std::pair{cf::devices, &out.devices},
                              std::pair{cf::accounts, &out.accounts},
                              std::pair{cf::groups, &out.groups},
                              std::pair{cf::schedules, &out.schedules}})
    if (auto e = i.for_each_entry(family,
                                  [into = into](const auto&, const auto&) {
                                    ++*into;
                                    return true;
                                  });
        e != store_errc::ok)
      return e;
  using props = rocksdb::DB::Properties;
  for (auto* h : i.handles) {
    if (h->GetName() == rocksdb::kDefaultColumnFamilyName)
      continue; // empty: tmx writes none of its own
    auto& fam = out.families.emplace_back();
    fam.name = h->GetName();
    for (auto [property, into] :
         {std::pair{&props::kEstimateLiveDataSize, &fam.live_data_bytes},
          std::pair{&props::kTotalSstFilesSize, &fam.sst_bytes},
          std::pair{&props::kCurSizeAllMemTables, &fam.memtable_bytes},
          std::pair{&props::kEstimateNumKeys, &fam.estimated_keys}})
      i.db->GetIntProperty(h, *property, into);
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
  // The keys the walks meet, as the counts say: per task its record and
  // four stream entries, per finished task its ended entry, per pending
  // one its queue entry and at most a due entry (and a few list counts,
  // left out).
  auto c = counts();
  auto status = [&](task_status s) {
    return c.by_status[static_cast<size_t>(s)];
  };
  st.total = 5 * c.total + status(task_status::completed)
             + status(task_status::failed) + 2 * status(task_status::pending);
  for (auto walk : {&impl::check_tasks, &impl::check_index, &impl::check_meta,
                    &impl::check_logs, &impl::check_events, &impl::check_groups,
                    &impl::check_schedules, &impl::check_lists}) {
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

} // namespace tmx

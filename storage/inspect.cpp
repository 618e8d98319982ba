// Inspection of a store (tmxctl db info, check, dump): its figures as
// stored, a walk of every task, and store::check with its walks of the
// tasks, counters, meta and logs (the index walk is in check_index.cpp).
#include "storage/check.hpp"

#include "storage/codec.hpp"
#include "storage/lists.hpp"

#include <rocksdb/db.h>

#include <cstdio>
#include <filesystem>
#include <tuple>

namespace tmx {

namespace engine {

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
using engine::cf_names;
using engine::check_state;
using engine::decode_task;
using engine::due_entry;
using engine::errc_of;
using engine::hex;
using engine::is_indexed;
using engine::parse_u64;
using engine::shown;

// -- walks of store::check --------------------------------------------------

std::vector<std::string> store::impl::own_entries(const task& t) const {
  std::vector<std::string> out;
  for (keys::field f : keys::indexed_fields)
    out.push_back(keys::index(f, keys::field_value(t, f), t.id));
  if (auto due = due_entry(&t); due && has_due_index)
    out.push_back(*due);
  return out;
}

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
    for (keys::field f : keys::indexed_fields)
      ++st.recount[keys::value_prefix(f, keys::field_value(t, f))];
    for (const auto& entry : own_entries(t))
      st.expected[entry[0]].add(entry);
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

store_errc store::impl::check_counters(check_state& st) const {
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
    st.report(*name(key) + " is missing, a recount gives " + std::to_string(n));
  return e;
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
  return impl_->for_each_task_of(cf::tasks, "", f);
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
  for (auto walk :
       {&impl::check_tasks, &impl::check_index, &impl::check_counters,
        &impl::check_meta, &impl::check_logs, &impl::check_events,
        &impl::check_groups, &impl::check_schedules, &impl::check_lists}) {
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

// The index walk of store::check: every index and due entry well formed
// and true to its task, and every entry a task calls for present.
#include "storage/check.hpp"

#include "model/time.hpp"

#include <map>
#include <set>

namespace tmx {

using engine::cf;
using engine::check_state;
using engine::decode_task;
using engine::digest;
using engine::hex;
using engine::is_indexed;
using engine::shown;

namespace {

// Why task `t` should have index entry `key` (which it lacks).
std::string missing_entry(const task& t, std::string_view key) {
  auto name = "task " + std::to_string(t.id);
  keys::field f{};
  std::string_view value, rest;
  if (key[0] == static_cast<char>(keys::field::due)
      || !keys::split_value_prefix(key, f, value, rest))
    return name + ": pending and due at " + format_time(t.scheduled_at)
           + ", not in the due index";
  return name + ": not in the index under " + shown(f, value);
}

} // namespace

store_errc
store::impl::find_missing_entries(check_state& st,
                                  const std::set<char>& parts) const {
  return for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
    st.tick();
    task t;
    if (key.size() != keys::id_size
        || decode_task(keys::get_u64(key.ToStringView()), value, t)
             != store_errc::ok)
      return true; // reported by check_tasks
    std::string ignored;
    for (const auto& entry : own_entries(t)) {
      if (parts.count(entry[0]) == 0)
        continue;
      auto e = read(cf::index, entry, ignored);
      if (e == store_errc::not_found)
        st.report(missing_entry(t, entry));
      else if (e != store_errc::ok)
        st.error = e;
    }
    return st.error == store_errc::ok;
  });
}

std::optional<task> store::impl::indexed_task(check_state& st, task_id id,
                                              const std::string& entry) const {
  std::optional<task> t;
  if (st.undecodable.count(id) != 0)
    return t;
  st.error = find_task(id, t);
  if (st.error == store_errc::ok && !t)
    st.report(entry + ": no such task");
  return t;
}

void store::impl::check_index_entry(check_state& st, keys::field f,
                                    std::string_view v, task_id id) const {
  // The index says what an undecodable record held: count it there, so
  // that its counters are not reported as well.
  if (st.undecodable.count(id) != 0)
    ++st.recount[keys::value_prefix(f, v)];
  auto entry = "index entry " + shown(f, v) + " of task " + std::to_string(id);
  auto t = indexed_task(st, id, entry);
  if (t && keys::field_value(*t, f) != v)
    st.report(entry + ": the task has " + shown(f, keys::field_value(*t, f)));
}

void store::impl::check_due_entry(check_state& st, millis at,
                                  task_id id) const {
  auto entry = "due entry at " + format_time(at) + " of task "
               + std::to_string(id);
  auto t = indexed_task(st, id, entry);
  if (t && t->status != task_status::pending)
    st.report(entry + ": the task is " + std::string(status_text(t->status)));
  else if (t && t->scheduled_at != at)
    st.report(entry + ": the task is due at "
              + (t->scheduled_at == 0 ? std::string("no set time")
                                      : format_time(t->scheduled_at)));
}

bool store::impl::index_entry(check_state& st, std::string_view key,
                              bool verify) const {
  millis at = 0;
  keys::field f{};
  std::string_view value, rest;
  if (!key.empty() && key[0] == static_cast<char>(keys::field::due)) {
    task_id id = 0;
    if (!keys::parse_due(key, at, id))
      return false;
    if (verify)
      check_due_entry(st, at, id);
    return true;
  }
  if (!keys::split_value_prefix(key, f, value, rest) || !is_indexed(f)
      || rest.size() != keys::id_size)
    return false;
  if (verify)
    check_index_entry(st, f, value, keys::get_u64(rest));
  return true;
}

// A digest of each part of the index (a field, the due index) is compared
// with the one the tasks call for: a sound store costs one walk of the
// keys, and only a part whose digests differ is searched entry by entry.
store_errc store::impl::check_index(check_state& st) const {
  std::map<char, digest> present;
  auto e = for_each_entry(cf::index, [&](const auto& key, const auto&) {
    st.tick();
    auto k = key.ToStringView();
    if (index_entry(st, k, false))
      present[k[0]].add(k);
    else
      st.report("index: malformed key " + hex(k));
    return true;
  });
  std::set<char> differ;
  for (const auto& [tag, d] : present)
    if (d != st.expected[tag])
      differ.insert(tag);
  for (const auto& [tag, d] : st.expected)
    if (d != present[tag])
      differ.insert(tag);
  if (e != store_errc::ok || differ.empty())
    return e;
  st.total += st.tasks;
  for (char tag : differ)
    st.total += present[tag].count;
  e = find_missing_entries(st, differ);
  for (char tag : differ) {
    if (e != store_errc::ok || st.error != store_errc::ok)
      break;
    e = walk(cf::index, std::string(1, tag), std::string(1, tag + 1), false,
             [&](const auto& key, const auto&) {
               st.tick();
               index_entry(st, key.ToStringView(), true);
               return st.error == store_errc::ok;
             });
  }
  return e;
}

} // namespace tmx

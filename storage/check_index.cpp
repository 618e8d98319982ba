// The index walk of store::check: the index family holds the due index
// only (the per-field index went with version 5), each entry well formed
// and true to its task, and every due entry a task calls for present.
#include "storage/check.hpp"

#include "model/time.hpp"

namespace tmx {

using engine::cf;
using engine::check_state;
using engine::decode_task;
using engine::digest;
using engine::due_entry;
using engine::hex;

store_errc store::impl::find_missing_due_entries(check_state& st) const {
  return for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
    st.tick();
    task t;
    if (key.size() != keys::id_size
        || decode_task(keys::get_u64(key.ToStringView()), value, t)
             != store_errc::ok)
      return true; // reported by check_tasks
    auto entry = due_entry(&t);
    if (!entry)
      return true;
    std::string ignored;
    auto e = read(cf::index, *entry, ignored);
    if (e == store_errc::not_found)
      st.report("task " + std::to_string(t.id) + ": pending and due at "
                + format_time(t.scheduled_at) + ", not in the due index");
    else if (e != store_errc::ok)
      st.error = e;
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

// A digest of the due entries is compared with the one the tasks call for:
// a sound store costs one walk of the keys, and only when they differ is
// the index searched entry by entry.
store_errc store::impl::check_index(check_state& st) const {
  digest present;
  auto e = for_each_entry(cf::index, [&](const auto& key, const auto&) {
    st.tick();
    auto k = key.ToStringView();
    millis at = 0;
    task_id id = 0;
    if (keys::parse_due(k, at, id))
      present.add(k);
    else if (k.empty() || k[0] < keys::first_retired_tag
             || k[0] >= keys::due_tag)
      st.report("index: malformed key " + hex(k));
    else if (stored_version >= 5)
      st.report("index: a key of the per-field index, which version 5 "
                "deleted: "
                + hex(k));
    // else: the per-field index of an older store, which a writer deletes
    return true;
  });
  if (e != store_errc::ok || !(present != st.due_expected))
    return e;
  st.total += st.tasks + present.count;
  e = find_missing_due_entries(st);
  if (e != store_errc::ok || st.error != store_errc::ok)
    return e;
  const std::string first(1, keys::due_tag), end(1, keys::due_tag + 1);
  return walk(cf::index, first, end, false, [&](const auto& key, const auto&) {
    st.tick();
    millis at = 0;
    task_id id = 0;
    if (keys::parse_due(key.ToStringView(), at, id))
      check_due_entry(st, at, id);
    return st.error == store_errc::ok;
  });
}

} // namespace tmx

// The list index walk of store::check: every entry well formed and true to
// its task, every entry a task calls for present, every count equal to a
// recount of the tasks.
#include "storage/check.hpp"

#include "storage/lists.hpp"

#include "model/time.hpp"

namespace tmx {

using engine::cf;
using engine::check_state;
using engine::decode_task;
using engine::digest;
using engine::hex;
using engine::shown;

namespace {

std::string stream_name(std::string_view stream) {
  lists::stream_parts p;
  if (!lists::parse_stream(stream, p))
    return "a malformed stream " + hex(stream);
  std::string out = "list stream";
  if (p.mask & lists::by_serial)
    out += " " + shown("serial", p.serial);
  if (p.mask & lists::by_script)
    out += " " + shown("script", p.script);
  return out + " " + engine::shown_status(p.status) + " "
         + shown("source", p.source);
}

std::string entry_name(std::string_view key) {
  millis at = 0;
  task_id id = 0;
  if (lists::parse_ended(key, at, id))
    return "ended entry at " + format_time(at) + " of task "
           + std::to_string(id);
  id = lists::id_of(key);
  return "entry of task " + std::to_string(id) + " in "
         + stream_name(key.substr(1, key.size() - 1 - keys::id_size));
}

// Whether `key` is an entry ('e' or 'f') of the list index.
bool well_formed(std::string_view key) {
  millis at = 0;
  task_id id = 0;
  lists::stream_parts p;
  return lists::parse_ended(key, at, id)
         || (key.size() > 1 + keys::id_size && key[0] == lists::entry_tag
             && lists::parse_stream(
               key.substr(1, key.size() - 1 - keys::id_size), p));
}

} // namespace

store_errc store::impl::check_lists(check_state& st) const {
  if (!has_lists)
    return store_errc::ok;
  digest present;
  auto e = walk(
    cf::lists, std::string(1, lists::entry_tag),
    std::string(1, lists::ended_tag + 1), false,
    [&](const auto& key, const auto&) {
      st.tick();
      auto k = key.ToStringView();
      if (!well_formed(k)) {
        st.report("lists: malformed key " + hex(k));
        return true;
      }
      present.add(k);
      task_id id = lists::id_of(k);
      // What the entry says an undecodable task held is counted,
      // so that its counts are not reported as well.
      if (k[0] == lists::entry_tag && st.undecodable.count(id)) {
        auto stream = k.substr(1, k.size() - 1 - keys::id_size);
        st.list_recount[lists::total(stream)] += 1;
        lists::stream_parts p;
        if (lists::parse_stream(stream, p) && lists::has_buckets(p.mask))
          st.list_recount[lists::bucket(stream, id >> lists::bucket_bits)] += 1;
      }
      return true;
    });
  if (e == store_errc::ok)
    e = walk(cf::lists, std::string(1, lists::queue_tag),
             std::string(1, lists::queue_tag + 1), false,
             [&](const auto& key, const auto& value) {
               st.tick();
               std::string_view serial;
               queued_entry q;
               if (!lists::parse_queue(key.ToStringView(), value.ToStringView(),
                                       serial, q))
                 st.report("lists: malformed queue entry "
                           + hex(key.ToStringView()));
               else
                 present.add(key.ToString() + '\0' + value.ToString());
               return true;
             });
  if (e == store_errc::ok && present != st.list_expected) {
    // Search entry by entry: the ones the tasks lack, the ones untrue.
    std::string ignored;
    e = for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
      task t;
      if (key.size() != keys::id_size
          || decode_task(keys::get_u64(key.ToStringView()), value, t)
               != store_errc::ok)
        return true;
      for (const auto& entry : lists::entries_of(t)) {
        auto re = read(cf::lists, entry, ignored);
        if (re == store_errc::not_found)
          st.report("task " + std::to_string(t.id) + ": no "
                    + entry_name(entry));
        else if (re != store_errc::ok)
          st.error = re;
      }
      if (auto q = lists::queue_entry(&t)) {
        auto re = read(cf::lists, q->first, ignored);
        if (re == store_errc::not_found)
          st.report("task " + std::to_string(t.id)
                    + ": pending, not in the queue of "
                    + shown("serial", t.serial));
        else if (re == store_errc::ok && ignored != q->second)
          st.report("task " + std::to_string(t.id)
                    + ": its queue entry says another due time or account");
        else if (re != store_errc::ok)
          st.error = re;
      }
      return st.error == store_errc::ok;
    });
    if (e == store_errc::ok && st.error == store_errc::ok)
      e = walk(
        cf::lists, std::string(1, lists::entry_tag),
        std::string(1, lists::ended_tag + 1), false,
        [&](const auto& key, const auto&) {
          auto k = key.ToStringView();
          if (!well_formed(k) || st.undecodable.count(lists::id_of(k)))
            return true;
          task_id id = lists::id_of(k);
          std::optional<task> t;
          st.error = find_task(id, t);
          auto entries = t ? lists::entries_of(*t) : std::vector<std::string>{};
          if (st.error == store_errc::ok
              && std::find(entries.begin(), entries.end(), k) == entries.end())
            st.report(entry_name(k)
                      + (t ? ": the task is not in it" : ": no such task"));
          return st.error == store_errc::ok;
        });
  }
  if (e == store_errc::ok && st.error == store_errc::ok
      && present != st.list_expected)
    e = walk(cf::lists, std::string(1, lists::queue_tag),
             std::string(1, lists::queue_tag + 1), false,
             [&](const auto& key, const auto& value) {
               std::string_view serial;
               queued_entry q;
               if (!lists::parse_queue(key.ToStringView(), value.ToStringView(),
                                       serial, q)
                   || st.undecodable.count(q.id))
                 return true;
               std::optional<task> t;
               st.error = find_task(q.id, t);
               auto own = lists::queue_entry(t ? &*t : nullptr);
               if (st.error == store_errc::ok
                   && (!own || own->first != key.ToStringView()))
                 st.report("queue entry of task " + std::to_string(q.id)
                           + " in the queue of " + shown("serial", serial)
                           + (!t    ? ": no such task"
                              : own ? ": the task has another place"
                                    : ": the task is not pending"));
               return st.error == store_errc::ok;
             });
  if (e != store_errc::ok || st.error != store_errc::ok)
    return e != store_errc::ok ? e : st.error;

  auto check_count = [&](const auto& key, const auto& value) {
    st.tick();
    auto k = key.ToString();
    auto stream = k.substr(1,
                           k.size() - 1 - (k[0] == lists::bucket_tag ? 8 : 0));
    uint64_t stored = 0;
    lists::stream_parts p;
    if (k.size() < 1 + (k[0] == lists::bucket_tag ? 8 : 0)
        || !lists::parse_stream(stream, p)) {
      st.report("lists: malformed key " + hex(k));
      return true;
    }
    // A reader of a version-4 store sees the buckets 5 dropped.
    if (k[0] == lists::bucket_tag && !lists::has_buckets(p.mask)
        && stored_version < 5)
      return true;
    auto name = k[0] == lists::total_tag
                  ? "count of " + stream_name(stream)
                  : "count of bucket " + std::to_string(lists::bucket_of(k))
                      + " of " + stream_name(stream);
    auto i = st.list_recount.find(k);
    int64_t expected = i == st.list_recount.end() ? 0 : i->second;
    if (i != st.list_recount.end())
      st.list_recount.erase(i);
    if (!lists::parse_count(value.ToStringView(), stored))
      st.report(name + ": the value is not a u64");
    else if (static_cast<int64_t>(stored) != expected)
      st.report(name + " is " + std::to_string(static_cast<int64_t>(stored))
                + ", a recount gives " + std::to_string(expected));
    return true;
  };
  for (char tag : {lists::bucket_tag, lists::total_tag}) {
    e = walk(cf::lists, std::string(1, tag), std::string(1, tag + 1), false,
             check_count);
    if (e != store_errc::ok)
      return e;
  }
  for (const auto& [key, n] : st.list_recount)
    if (n != 0)
      st.report("count of "
                + stream_name(key.substr(
                  1, key.size() - 1 - (key[0] == lists::bucket_tag ? 8 : 0)))
                + (key[0] == lists::bucket_tag ? " (a bucket)" : "")
                + " is missing, a recount gives " + std::to_string(n));
  return store_errc::ok;
}

} // namespace tmx

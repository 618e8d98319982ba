// What the list index (lists.hpp) answers besides lists, now that it is
// the only index of the tasks' fields (docs/decisions/0031): the counts
// from the totals of its unfiltered streams (held in memory, one per
// status × source), db info's tasks per serial, script and source from the
// totals of its streams, and the walk of the tasks with one status as a
// merge of that status's unfiltered streams.
#include "storage/engine.hpp"

#include "storage/lists.hpp"

#include <queue>
#include <utility>

namespace tmx {

using engine::cf;

bool store::impl::load_totals(std::string& error) {
  status_totals.clear();
  recounted.clear();
  if (!has_lists) {
    // A read-only instance of a store a writer has not migrated yet: what
    // the list index will hold, recounted.
    auto e = for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
      task t;
      if (key.size() != keys::id_size
          || engine::decode_task(keys::get_u64(key.ToStringView()), value, t)
               != store_errc::ok)
        return true; // tmxctl db check reports it
      for (uint8_t mask : {uint8_t{0}, lists::by_serial, lists::by_script})
        ++recounted[lists::total(lists::stream_of(t, mask))];
      return true;
    });
    if (e != store_errc::ok)
      return refuse(error, "cannot recount the tasks", to_string(e));
  }
  auto e = for_each_total(0, [&](std::string_view stream, uint64_t tasks) {
    status_totals[lists::total(stream)] = tasks;
    return true;
  });
  return e == store_errc::ok
         || refuse(error, "cannot read the counts of the list index",
                   to_string(e));
}

store_errc store::impl::for_each_total(
  uint8_t mask,
  const std::function<bool(std::string_view stream, uint64_t tasks)>& f) const {
  auto prefix = lists::total(std::string(1, static_cast<char>(mask)));
  if (!has_lists) {
    for (auto i = recounted.lower_bound(prefix);
         i != recounted.end() && i->first.compare(0, prefix.size(), prefix) == 0
         && f(std::string_view(i->first).substr(1), i->second);
         ++i) {
    }
    return store_errc::ok;
  }
  bool corrupt = false;
  auto e = walk(cf::lists, prefix, prefix + '\xff', false,
                [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
                  auto stream = key.ToStringView().substr(1);
                  lists::stream_parts p;
                  uint64_t tasks = 0;
                  if (!lists::parse_stream(stream, p) || p.mask != mask)
                    return true; // malformed: tmxctl db check reports it
                  if (!lists::parse_count(value.ToStringView(), tasks))
                    return !(corrupt = true);
                  return f(stream, tasks);
                });
  return corrupt ? store_errc::corrupt : e;
}

store_errc store::impl::value_counts(std::vector<value_count>& out) const {
  // (field, value) → tasks, in the order of store_info::values.
  std::map<std::pair<std::string, std::string>, uint64_t> sums;
  for (auto [mask, field] :
       {std::pair{uint8_t{0}, "source"}, std::pair{lists::by_serial, "serial"},
        std::pair{lists::by_script, "script"}}) {
    auto e = for_each_total(mask, [&, mask = mask, field = field](
                                    std::string_view stream, uint64_t tasks) {
      lists::stream_parts p;
      lists::parse_stream(stream, p); // for_each_total only hands on those
      auto value = mask == lists::by_serial   ? p.serial
                   : mask == lists::by_script ? p.script
                                              : p.source;
      sums[{field, std::string(value)}] += tasks;
      return true;
    });
    if (e != store_errc::ok)
      return e;
  }
  for (auto& [key, tasks] : sums)
    if (tasks != 0)
      out.push_back({key.first, key.second, tasks});
  return store_errc::ok;
}

task_counts store::counts() const {
  task_counts out;
  for (const auto& [key, tasks] : impl_->status_totals) {
    lists::stream_parts p;
    if (!lists::parse_stream(std::string_view(key).substr(1), p))
      continue; // load_totals and commit keep only well-formed ones
    out.by_status[p.status] += tasks;
    out.total += tasks;
  }
  return out;
}

namespace {

// One unfiltered stream of a status, walked from its oldest entry up (the
// last keys: ids are stored inverted).
struct oldest_first {
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
  task_id id = 0;
  bool malformed = false;

  bool read() {
    if (!it->Valid())
      return false;
    auto key = it->key().ToStringView();
    if (key.size() != lower.size() + keys::id_size)
      return !(malformed = true); // in the stream's range, yet no entry
    id = lists::id_of(key);
    return true;
  }
};

} // namespace

store_errc
store::for_each_with_status(task_status status,
                            const std::function<bool(const task&)>& f) const {
  const auto& i = *impl_;
  if (!i.has_lists)
    return i.for_each_stored_task(
      [&](const task& t) { return t.status != status || f(t); });
  std::vector<std::unique_ptr<oldest_first>> streams;
  auto later = [&](size_t a, size_t b) {
    return streams[a]->id > streams[b]->id;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  auto step = [&](size_t s, bool first) {
    auto& w = *streams[s];
    if (first)
      w.it->SeekToLast();
    else
      w.it->Prev();
    if (w.read())
      heap.push(s);
    return w.malformed ? store_errc::corrupt : engine::errc_of(w.it->status());
  };
  for (const auto& [key, tasks] : i.status_totals) {
    auto stream = std::string_view(key).substr(1);
    lists::stream_parts p;
    if (!lists::parse_stream(stream, p)
        || p.status != static_cast<uint8_t>(status))
      continue;
    auto w = std::make_unique<oldest_first>();
    w->lower = std::string(1, lists::entry_tag).append(stream);
    w->upper = lists::stream_end(lists::entry_tag, stream);
    w->lower_slice = w->lower;
    w->upper_slice = w->upper;
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &w->lower_slice;
    ro.iterate_upper_bound = &w->upper_slice;
    w->it.reset(i.db->NewIterator(ro, i.handle(cf::lists)));
    streams.push_back(std::move(w));
    if (auto e = step(streams.size() - 1, true); e != store_errc::ok)
      return e;
  }
  while (!heap.empty()) {
    auto s = heap.top();
    heap.pop();
    task t;
    if (auto e = i.load_task(streams[s]->id, t, store_errc::corrupt);
        e != store_errc::ok)
      return e;
    if (!f(t))
      return store_errc::ok;
    if (auto e = step(s, false); e != store_errc::ok)
      return e;
  }
  return store_errc::ok;
}

} // namespace tmx

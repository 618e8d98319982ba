// The list index (lists.hpp): staging its entries and counts with a task's
// change, building it for an older store, and answering a list query from
// it: the exact total from the counts of the query's streams, the page by a
// merge of those streams, newest first, a deep page from its bucket on.
#include "storage/engine.hpp"

#include "storage/lists.hpp"

#include <algorithm>
#include <limits>
#include <queue>
#include <unordered_map>

namespace tmx {

using engine::cf;

namespace {

constexpr uint64_t ids_per_bucket = uint64_t{1} << lists::bucket_bits;

// Whether a change moves the task in the list index at all.
bool same_lists(const task& a, const task& b) {
  return a.status == b.status && a.finished_at == b.finished_at
         && a.serial == b.serial && a.script_name == b.script_name
         && a.source == b.source && a.queue_seq == b.queue_seq
         && a.scheduled_at == b.scheduled_at && a.username == b.username;
}

// One stream of a query, walked newest first from an id down.
struct cursor {
  size_t key_size = 0; // of the stream's entries
  std::string upper;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
  task_id id = 0;

  bool read() {
    if (!it->Valid())
      return false;
    auto key = it->key().ToStringView();
    if (key.size() != key_size)
      return false; // not an entry of this stream: a corrupt key
    id = lists::id_of(key);
    return true;
  }
};

} // namespace

void store::impl::stage_lists(task_change& c, const task* before,
                              const task* after) const {
  if (before && after && same_lists(*before, *after))
    return;
  auto from = before ? lists::entries_of(*before) : std::vector<std::string>{};
  auto to = after ? lists::entries_of(*after) : std::vector<std::string>{};
  auto* h = handle(cf::lists);
  for (const auto& e : from)
    if (std::find(to.begin(), to.end(), e) == to.end())
      c.batch.Delete(h, e);
  for (const auto& e : to)
    if (std::find(from.begin(), from.end(), e) == from.end())
      c.batch.Put(h, e, rocksdb::Slice());
  auto queued_before = lists::queue_entry(before);
  auto queued_after = lists::queue_entry(after);
  if (queued_before != queued_after) {
    if (queued_before
        && (!queued_after || queued_before->first != queued_after->first))
      c.batch.Delete(h, queued_before->first);
    if (queued_after)
      c.batch.Put(h, queued_after->first, queued_after->second);
  }
  if (before && after && before->status == after->status
      && before->serial == after->serial
      && before->script_name == after->script_name
      && before->source == after->source)
    return; // the same streams
  if (before)
    lists::add_counts(*before, -1, c.list_counts);
  if (after)
    lists::add_counts(*after, 1, c.list_counts);
}

store_errc store::impl::build_lists(rocksdb::WriteBatch& last,
                                    std::string& error) {
  // Whatever an interrupted build left goes first.
  rocksdb::WriteBatch chunk;
  chunk.DeleteRange(handle(cf::lists), "", "\xff");
  std::map<std::string, int64_t> counts;
  size_t in_chunk = 0;
  auto flush = [&] {
    auto s = db->Write({}, &chunk);
    chunk.Clear();
    in_chunk = 0;
    if (!s.ok())
      error = "writing the list index: " + s.ToString();
    return s.ok();
  };
  auto e = for_each_entry(cf::tasks, [&](const auto& key, const auto& value) {
    task t;
    if (key.size() != keys::id_size
        || engine::decode_task(keys::get_u64(key.ToStringView()), value, t)
             != store_errc::ok)
      return true; // tmxctl db check reports it; it has no entries
    for (const auto& entry : lists::entries_of(t))
      chunk.Put(handle(cf::lists), entry, rocksdb::Slice());
    if (auto q = lists::queue_entry(&t))
      chunk.Put(handle(cf::lists), q->first, q->second);
    lists::add_counts(t, 1, counts);
    return ++in_chunk < 10000 || flush();
  });
  if (e != store_errc::ok || !error.empty() || !flush())
    return e != store_errc::ok ? e : store_errc::io_error;
  for (const auto& [key, n] : counts)
    last.Put(handle(cf::lists), key, lists::count_bytes(n));
  return store_errc::ok;
}

store_errc store::queued(const std::string& serial, uint64_t after,
                         size_t limit, std::vector<queued_entry>& out) const {
  out.clear();
  if (!impl_->has_lists)
    return store_errc::schema_mismatch;
  if (limit == 0)
    return store_errc::ok;
  bool corrupt = false;
  auto e = impl_->walk(
    cf::lists, lists::queue_from(serial, after), lists::queue_end(serial),
    false, [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      std::string_view of;
      queued_entry q;
      if (!lists::parse_queue(key.ToStringView(), value.ToStringView(), of, q)
          || of != serial)
        return !(corrupt = true);
      out.push_back(std::move(q));
      return out.size() < limit;
    });
  return corrupt ? store_errc::corrupt : e;
}

store_errc store::queued_by_serial(
  millis now, std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.clear();
  if (!impl_->has_lists)
    return store_errc::schema_mismatch;
  auto prefix = lists::total(std::string(1, char{lists::by_serial}));
  bool corrupt = false;
  auto e = impl_->walk(
    cf::lists, prefix, prefix + '\xff', false,
    [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      lists::stream_parts p;
      uint64_t n = 0;
      if (!lists::parse_stream(key.ToStringView().substr(1), p)
          || !lists::parse_count(value.ToStringView(), n))
        return !(corrupt = true);
      if (p.status != static_cast<uint8_t>(task_status::pending) || n == 0)
        return true;
      if (out.empty() || out.back().first != p.serial)
        out.emplace_back(std::string(p.serial), 0);
      out.back().second += n;
      return true;
    });
  if (e != store_errc::ok || corrupt)
    return corrupt ? store_errc::corrupt : e;
  // Less those not due yet: the due index after `now` (few, as a rule).
  std::unordered_map<std::string, uint64_t> later;
  e = for_each_due(
    now + 1, std::numeric_limits<millis>::max(), [&](millis, task_id id) {
      task t;
      if (impl_->load_task(id, t, store_errc::corrupt) == store_errc::ok)
        ++later[t.serial];
      return true;
    });
  for (auto& [serial, n] : out)
    if (auto i = later.find(serial); i != later.end())
      n -= std::min(n, i->second);
  return e;
}

store_errc store::list(const task_filter& filter, uint32_t page,
                       uint32_t page_size, task_page& out) const {
  out = {};
  if (!impl_->has_lists)
    return store_errc::schema_mismatch;
  uint64_t offset = uint64_t{std::max(page, 1u) - 1} * page_size;
  auto e = impl_->list_page(filter, offset, page_size, out);
  if (e != store_errc::ok)
    out = {};
  return e;
}

// The buckets of the query's streams from the highest down, merged, until
// the one holding the task at `offset`: the walk starts at its top, and skips
// the tasks of that bucket before the offset.
store_errc store::impl::start_bucket(const std::vector<stream_total>& streams,
                                     uint64_t offset, task_id& top,
                                     uint64_t& skip) const {
  struct bucket_walk {
    std::string upper;
    rocksdb::Slice upper_slice;
    std::unique_ptr<rocksdb::Iterator> it;
    uint64_t bucket = 0, tasks = 0;
    size_t key_size = 0;
    bool read() {
      if (!it->Valid() || it->key().size() != key_size)
        return false;
      bucket = lists::bucket_of(it->key().ToStringView());
      return lists::parse_count(it->value().ToStringView(), tasks);
    }
  };
  std::vector<std::unique_ptr<bucket_walk>> walks;
  auto higher = [&](size_t a, size_t b) {
    return walks[a]->bucket < walks[b]->bucket;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(higher)> heap(
    higher);
  for (const auto& s : streams) {
    auto w = std::make_unique<bucket_walk>();
    auto first = lists::bucket(s.stream, std::numeric_limits<uint64_t>::max());
    w->key_size = first.size();
    w->upper = lists::stream_end(lists::bucket_tag, s.stream);
    w->upper_slice = w->upper;
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &w->upper_slice;
    w->it.reset(db->NewIterator(ro, handle(cf::lists)));
    w->it->Seek(first);
    walks.push_back(std::move(w));
    if (walks.back()->read())
      heap.push(walks.size() - 1);
    else if (!walks.back()->it->status().ok())
      return engine::errc_of(walks.back()->it->status());
  }
  uint64_t before = 0; // tasks in the buckets above
  while (!heap.empty()) {
    auto b = walks[heap.top()]->bucket;
    uint64_t n = 0;
    while (!heap.empty() && walks[heap.top()]->bucket == b) {
      auto i = heap.top();
      heap.pop();
      n += walks[i]->tasks;
      walks[i]->it->Next();
      if (walks[i]->read())
        heap.push(i);
      else if (!walks[i]->it->status().ok())
        return engine::errc_of(walks[i]->it->status());
    }
    if (before + n > offset) {
      top = ((b + 1) << lists::bucket_bits)
            - 1; // the last bucket: wraps to max
      skip = offset - before;
      return store_errc::ok;
    }
    before += n;
  }
  return store_errc::ok; // the counts disagree: walk from the top
}

store_errc store::impl::list_page(const task_filter& filter, uint64_t offset,
                                  uint32_t page_size, task_page& out) const {
  uint8_t mask = (filter.serial.empty() ? 0 : lists::by_serial)
                 | (filter.script_name.empty() ? 0 : lists::by_script);
  auto prefix = lists::total(
    lists::stream_prefix(mask, filter.serial, filter.script_name));
  // The query's streams: every total under the prefix whose status and
  // source the filter wants.
  std::vector<stream_total> streams;
  bool corrupt = false;
  auto upper = prefix + '\xff';
  auto e = walk(cf::lists, prefix, upper, false,
                [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
                  lists::stream_parts p;
                  auto stream = key.ToStringView().substr(1);
                  uint64_t n = 0;
                  if (!lists::parse_stream(stream, p)
                      || !lists::parse_count(value.ToStringView(), n)
                      || n > (uint64_t{1} << 62))
                    return !(corrupt = true);
                  if (n == 0
                      || (filter.status
                          && p.status != static_cast<uint8_t>(*filter.status))
                      || (!filter.source.empty() && p.source != filter.source))
                    return true;
                  streams.push_back({std::string(stream), n});
                  out.total += n;
                  return true;
                });
  if (e != store_errc::ok || corrupt)
    return corrupt ? store_errc::corrupt : e;
  if (offset >= out.total || page_size == 0)
    return store_errc::ok;

  // A deep page starts at the bucket holding its first task.
  task_id top = std::numeric_limits<task_id>::max(); // the first id walked
  uint64_t skip = offset;
  // (A stream of one serial has no buckets: walked from its top.)
  if (offset >= ids_per_bucket && lists::has_buckets(mask)) {
    if (auto be = start_bucket(streams, offset, top, skip);
        be != store_errc::ok)
      return be;
  }

  // Merge the streams by descending id.
  std::vector<std::unique_ptr<cursor>> cursors;
  auto newer = [&](size_t a, size_t b) {
    return cursors[a]->id < cursors[b]->id;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(newer)> heap(newer);
  for (const auto& s : streams) {
    auto c = std::make_unique<cursor>();
    c->key_size = 1 + s.stream.size() + keys::id_size;
    c->upper = lists::stream_end(lists::entry_tag, s.stream);
    c->upper_slice = c->upper;
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &c->upper_slice;
    c->it.reset(db->NewIterator(ro, handle(cf::lists)));
    c->it->Seek(lists::entry(s.stream, top)); // ids are stored inverted
    cursors.push_back(std::move(c));
    if (cursors.back()->read())
      heap.push(cursors.size() - 1);
    else if (!cursors.back()->it->status().ok())
      return engine::errc_of(cursors.back()->it->status());
  }
  std::vector<task_id> ids;
  while (!heap.empty() && ids.size() < page_size) {
    auto i = heap.top();
    heap.pop();
    if (skip > 0)
      --skip;
    else
      ids.push_back(cursors[i]->id);
    cursors[i]->it->Next();
    if (cursors[i]->read())
      heap.push(i);
    else if (!cursors[i]->it->status().ok())
      return engine::errc_of(cursors[i]->it->status());
  }
  // One batched read of the page's tasks (RocksDB sorts and shares the
  // block lookups).
  std::vector<std::string> task_keys;
  std::vector<rocksdb::Slice> slices;
  for (auto id : ids)
    task_keys.push_back(keys::task_key(id));
  for (auto& k : task_keys)
    slices.emplace_back(k);
  std::vector<std::string> values;
  auto statuses = db->MultiGet(
    {},
    std::vector<rocksdb::ColumnFamilyHandle*>(slices.size(), handle(cf::tasks)),
    slices, &values);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!statuses[i].ok())
      return statuses[i].IsNotFound() ? store_errc::corrupt
                                      : engine::errc_of(statuses[i]);
    task t;
    if (auto de = engine::decode_task(ids[i], values[i], t);
        de != store_errc::ok)
      return de;
    out.tasks.push_back(std::move(t));
  }
  return store_errc::ok;
}

} // namespace tmx

// Test hooks of the store, built as tmx_storage_testing, which only test
// suites link: they open a closed data directory and write past every rule
// the store keeps (an older schema version with the per-field index it
// kept, a dropped due index, the inconsistencies store::check must find).
#include "storage/codec.hpp"
#include "storage/engine.hpp"
#include "storage/lists.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tmx {

using engine::cf;
using engine::due_entry;

namespace {

// The per-field index of tmx before version 5: tag | u32 len | value | id
// in the index family (tags 1-4: status, serial, script, source), and in
// the counters family tag | u32 len | value → u64 tasks, "\0" → all tasks.
std::string field_value_key(char tag, std::string_view value) {
  std::string out(1, tag);
  keys::put_text(out, value);
  return out;
}

std::string field_index_key(char tag, std::string_view value, task_id id) {
  auto out = field_value_key(tag, value);
  keys::put_u64(out, id);
  return out;
}

std::vector<std::pair<char, std::string>> field_values(const task& t) {
  return {{char{1}, std::string(1, static_cast<char>(t.status))},
          {char{2}, t.serial},
          {char{3}, t.script_name},
          {char{4}, t.source}};
}

} // namespace

bool store::write_schema_version_for_test(const std::string& path,
                                          uint32_t version) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  auto& i = *s->impl_;
  rocksdb::WriteBatch batch;
  if (version < 5) { // the per-field index and its counters
    rocksdb::ColumnFamilyHandle* counters = nullptr;
    if (!i.db->CreateColumnFamily({}, "counters", &counters).ok())
      return false;
    i.handles.push_back(counters); // closed with the others
    std::map<std::string, uint64_t> counts;
    auto e = i.for_each_stored_task([&](const task& t) {
      for (const auto& [tag, value] : field_values(t)) {
        batch.Put(i.handle(cf::index), field_index_key(tag, value, t.id),
                  rocksdb::Slice());
        ++counts[field_value_key(tag, value)];
      }
      ++counts[std::string(1, '\0')];
      // and the bucket counts of the streams that fix a serial.
      for (uint8_t mask = 0; mask < lists::mask_count; ++mask)
        if (!lists::has_buckets(mask))
          batch.Merge(i.handle(cf::lists),
                      lists::bucket(lists::stream_of(t, mask),
                                    t.id >> lists::bucket_bits),
                      lists::count_bytes(1));
      return true;
    });
    if (e != store_errc::ok)
      return false;
    for (const auto& [key, n] : counts)
      batch.Put(counters, key, keys::u64_bytes(n));
  }
  batch.Put(i.handle(cf::meta), keys::schema_version, keys::u64_bytes(version));
  return i.write(batch) == store_errc::ok;
}

bool store::drop_due_index_for_test(const std::string& path) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  auto tag = keys::due_tag;
  rocksdb::WriteBatch batch;
  auto e = s->impl_->walk(
    cf::index, std::string(1, tag), std::string(1, tag + 1), false,
    [&](const rocksdb::Slice& key, const rocksdb::Slice&) {
      batch.Delete(s->impl_->handle(cf::index), key);
      return true;
    });
  return e == store_errc::ok && s->impl_->write(batch) == store_errc::ok;
}

bool store::drop_list_index_for_test(const std::string& path) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(s->impl_->handle(cf::lists), "", "\xff");
  return s->impl_->write(batch) == store_errc::ok;
}

bool store::drop_queues_for_test(const std::string& path) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  rocksdb::WriteBatch batch;
  batch.DeleteRange(s->impl_->handle(cf::lists),
                    std::string(1, lists::queue_tag),
                    std::string(1, lists::queue_tag + 1));
  return s->impl_->write(batch) == store_errc::ok;
}

bool store::corrupt_for_test(const std::string& path, corruption kind,
                             task_id id) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  const auto& i = *s->impl_;
  std::optional<task> t;
  bool needs_task = kind != corruption::stray_list_entry
                    && kind != corruption::orphan_log;
  if (i.find_task(id, t) != store_errc::ok || t.has_value() != needs_task)
    return false;
  rocksdb::WriteBatch b;
  auto* index = i.handle(cf::index);
  auto* lists = i.handle(cf::lists);
  switch (kind) {
    case corruption::stray_list_entry: {
      task none;
      none.id = id; // pending, from "api"
      b.Put(lists, lists::entry(lists::stream_of(none, 0), id),
            rocksdb::Slice());
      break;
    }
    case corruption::wrong_list_stream: {
      auto other = *t;
      other.serial += "-wrong";
      b.Put(lists, lists::entry(lists::stream_of(other, lists::by_serial), id),
            rocksdb::Slice());
      break;
    }
    case corruption::wrong_bucket_count:
      b.Merge(lists,
              lists::bucket(lists::stream_of(*t, 0), id >> lists::bucket_bits),
              lists::count_bytes(7));
      break;
    case corruption::old_index_entry:
      b.Put(index, field_index_key(2, t->serial, id), rocksdb::Slice());
      break;
    case corruption::stale_next_id:
      b.Put(i.handle(cf::meta), keys::next_id, keys::u64_bytes(id));
      break;
    case corruption::undecodable_task:
      b.Put(i.handle(cf::tasks), keys::task_key(id), "\xff garbage");
      break;
    case corruption::drop_due_entry:
      if (!due_entry(&*t))
        return false;
      b.Delete(index, *due_entry(&*t));
      break;
    case corruption::orphan_log:
      b.Put(i.handle(cf::logs), keys::task_key(id),
            codec::encode(std::vector<log_line>{{1, "orphan"}}));
      break;
    case corruption::drop_list_entry:
      b.Delete(lists, lists::entry(lists::stream_of(*t, 0), id));
      break;
    case corruption::drop_queue_entry:
      if (!lists::queue_entry(&*t))
        return false;
      b.Delete(lists, lists::queue_entry(&*t)->first);
      break;
    case corruption::wrong_list_count:
      b.Merge(lists, lists::total(lists::stream_of(*t, 0)),
              lists::count_bytes(7));
      break;
  }
  return s->impl_->write(b) == store_errc::ok;
}

} // namespace tmx

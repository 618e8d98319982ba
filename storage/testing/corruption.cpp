// Test hooks of the store, built as tmx_storage_testing, which only test
// suites link: they open a closed data directory and write past every rule
// the store keeps (an older schema version, a dropped due index, the
// inconsistencies store::check must find).
#include "storage/codec.hpp"
#include "storage/engine.hpp"
#include "storage/lists.hpp"

#include <optional>
#include <string>

namespace tmx {

using engine::cf;
using engine::due_entry;

bool store::write_schema_version_for_test(const std::string& path,
                                          uint32_t version) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  rocksdb::WriteBatch batch;
  batch.Put(s->impl_->handle(cf::meta), keys::schema_version,
            keys::u64_bytes(version));
  return s->impl_->write(batch) == store_errc::ok;
}

bool store::drop_due_index_for_test(const std::string& path) {
  std::string error;
  auto s = open(options{path}, error);
  if (!s)
    return false;
  auto tag = static_cast<char>(keys::field::due);
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
  bool needs_task = kind != corruption::stray_index_entry
                    && kind != corruption::orphan_log;
  if (i.find_task(id, t) != store_errc::ok || t.has_value() != needs_task)
    return false;
  auto serial_entry = [&](const std::string& serial) {
    return keys::index(keys::field::serial, serial, id);
  };
  rocksdb::WriteBatch b;
  auto* index = i.handle(cf::index);
  switch (kind) {
    case corruption::drop_index_entry:
      b.Delete(index, serial_entry(t->serial));
      break;
    case corruption::stray_index_entry:
      b.Put(index,
            keys::index(keys::field::status,
                        keys::status_value(task_status::pending), id),
            rocksdb::Slice());
      break;
    case corruption::wrong_index_value:
      b.Put(index, serial_entry(t->serial + "-wrong"), rocksdb::Slice());
      break;
    case corruption::wrong_counter: {
      auto key = keys::value_prefix(keys::field::serial, t->serial);
      b.Put(i.handle(cf::counters), key, keys::u64_bytes(i.counter(key) + 7));
      break;
    }
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
      b.Delete(i.handle(cf::lists), lists::entry(lists::stream_of(*t, 0), id));
      break;
    case corruption::drop_queue_entry:
      if (!lists::queue_entry(&*t))
        return false;
      b.Delete(i.handle(cf::lists), lists::queue_entry(&*t)->first);
      break;
    case corruption::wrong_list_count:
      b.Merge(i.handle(cf::lists), lists::total(lists::stream_of(*t, 0)),
              lists::count_bytes(7));
      break;
  }
  return s->impl_->write(b) == store_errc::ok;
}

} // namespace tmx

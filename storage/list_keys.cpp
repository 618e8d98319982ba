// Keys of the list index and the merge operator of its counts (see
// lists.hpp).
#include "storage/lists.hpp"

#include "storage/keys.hpp"

#include <limits>

namespace tmx::lists {

namespace {

using keys::put_text;
using keys::take_text;

class add : public rocksdb::AssociativeMergeOperator {
public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger*) const override {
    uint64_t a = 0, b = 0;
    if ((existing && !parse_count(existing->ToStringView(), a))
        || !parse_count(value.ToStringView(), b))
      return false; // corruption: RocksDB reports it on the read
    *new_value = keys::u64_bytes(a + b);
    return true;
  }

  const char* Name() const override {
    return "tmx.add64"; // on disk: never rename
  }
};

} // namespace

std::string stream_prefix(uint8_t mask, std::string_view serial,
                          std::string_view script) {
  std::string out(1, static_cast<char>(mask));
  if (mask & by_serial)
    put_text(out, serial);
  if (mask & by_script)
    put_text(out, script);
  return out;
}

std::string stream_of(const task& t, uint8_t mask) {
  auto out = stream_prefix(mask, t.serial, t.script_name);
  out.push_back(static_cast<char>(t.status));
  put_text(out, t.source);
  return out;
}

bool parse_stream(std::string_view in, stream_parts& out) {
  if (in.empty() || static_cast<uint8_t>(in[0]) >= mask_count)
    return false;
  out = {};
  out.mask = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if ((out.mask & by_serial) && !take_text(in, out.serial))
    return false;
  if ((out.mask & by_script) && !take_text(in, out.script))
    return false;
  if (in.empty() || static_cast<uint8_t>(in[0]) >= status_count)
    return false;
  out.status = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  return take_text(in, out.source) && in.empty();
}

std::string entry(std::string_view stream, task_id id) {
  std::string out(1, entry_tag);
  out.append(stream);
  keys::put_u64(out, ~id); // newest first in key order
  return out;
}

std::string stream_end(char tag, std::string_view stream) {
  std::string out(1, tag);
  out.append(stream);
  return out.append(keys::id_size, '\xff') + '\0';
}

task_id id_of(std::string_view key) {
  if (key.size() < 1 + keys::id_size)
    return 0;
  auto last = keys::get_u64(key.substr(key.size() - keys::id_size));
  return key[0] == entry_tag ? ~last : last;
}

std::string total(std::string_view stream) {
  std::string out(1, total_tag);
  return out.append(stream);
}

std::string bucket(std::string_view stream, uint64_t b) {
  std::string out(1, bucket_tag);
  out.append(stream);
  keys::put_u64(out, ~b); // highest first in key order
  return out;
}

uint64_t bucket_of(std::string_view key) {
  return ~keys::get_u64(key.substr(key.size() - keys::id_size));
}

std::string ended_from(millis at) {
  std::string out(1, ended_tag);
  keys::put_time(out, at);
  keys::put_u64(out, 0);
  return out;
}

std::optional<std::string> ended(const task* t) {
  if (t == nullptr
      || (t->status != task_status::completed
          && t->status != task_status::failed))
    return std::nullopt;
  auto out = ended_from(t->finished_at);
  out.resize(out.size() - keys::id_size);
  keys::put_u64(out, t->id);
  return out;
}

bool parse_ended(std::string_view key, millis& at, task_id& id) {
  if (key.size() != 1 + 8 + keys::id_size || key[0] != ended_tag)
    return false;
  at = keys::get_time(key.substr(1));
  id = keys::get_u64(key.substr(1 + 8));
  return true;
}

std::vector<std::string> entries_of(const task& t) {
  std::vector<std::string> out;
  for (uint8_t mask = 0; mask < mask_count; ++mask)
    out.push_back(entry(stream_of(t, mask), t.id));
  if (auto e = ended(&t))
    out.push_back(*e);
  return out;
}

std::optional<std::pair<std::string, std::string>> queue_entry(const task* t) {
  if (t == nullptr || t->status != task_status::pending)
    return std::nullopt;
  std::string key(1, queue_tag);
  put_text(key, t->serial);
  keys::put_u64(key, t->queue_seq);
  keys::put_u64(key, t->id);
  std::string value;
  keys::put_time(value, t->scheduled_at);
  value.append(t->username);
  return std::pair{std::move(key), std::move(value)};
}

std::string queue_from(std::string_view serial, uint64_t after) {
  std::string key(1, queue_tag);
  put_text(key, serial);
  if (after == std::numeric_limits<uint64_t>::max())
    return key.append(2 * keys::id_size, '\xff') + '\0';
  keys::put_u64(key, after + 1);
  keys::put_u64(key, 0);
  return key;
}

std::string queue_end(std::string_view serial) {
  return queue_from(serial, std::numeric_limits<uint64_t>::max());
}

bool parse_queue(std::string_view key, std::string_view value,
                 std::string_view& serial, queued_entry& out) {
  if (key.empty() || key[0] != queue_tag || value.size() < 8)
    return false;
  key.remove_prefix(1);
  if (!take_text(key, serial) || key.size() != 2 * keys::id_size)
    return false;
  out.seq = keys::get_u64(key);
  out.id = keys::get_u64(key.substr(keys::id_size));
  out.scheduled_at = keys::get_time(value);
  out.username = std::string(value.substr(8));
  return true;
}

bool is_status_total(std::string_view key) {
  return key.size() > 1 && key[0] == total_tag && key[1] == '\0';
}

void add_counts(const task& t, int64_t delta,
                std::map<std::string, int64_t>& counts) {
  for (uint8_t mask = 0; mask < mask_count; ++mask) {
    auto stream = stream_of(t, mask);
    counts[total(stream)] += delta;
    if (has_buckets(mask))
      counts[bucket(stream, t.id >> bucket_bits)] += delta;
  }
}

bool parse_count(std::string_view value, uint64_t& out) {
  if (value.size() != keys::id_size)
    return false;
  out = keys::get_u64(value);
  return true;
}

std::string count_bytes(int64_t delta) {
  return keys::u64_bytes(static_cast<uint64_t>(delta));
}

std::shared_ptr<rocksdb::MergeOperator> add_operator() {
  static auto op = std::make_shared<add>();
  return op;
}

} // namespace tmx::lists

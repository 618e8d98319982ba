// Fuzz target: the store's readers of bytes from disk, storage/codec.hpp's
// record decoders (tasks, accounts, idempotency keys, task logs, device
// groups) and the key readers of storage/keys.hpp and storage/lists.hpp.
// The first byte picks the reader, the rest is the record or key. A
// decoder must refuse what it cannot read, never crash; what it accepts
// must survive a round trip: encode(decode(x)) decodes to the same value
// and encodes to the same bytes; a key it reads, written again, is the
// same key.
#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/lists.hpp"
#include "tests/fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace tmx;
using tmx::fuzz::check;

bool same(const account& a, const account& b) {
  return a.username == b.username && a.serial == b.serial
         && a.platform == b.platform && a.enabled == b.enabled;
}

bool same(const idempotency_record& a, const idempotency_record& b) {
  return a.key == b.key && a.fingerprint == b.fingerprint
         && a.task_ids == b.task_ids && a.created_at == b.created_at;
}

bool same(const std::vector<log_line>& a, const std::vector<log_line>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].at != b[i].at || a[i].text != b[i].text)
      return false;
  return true;
}

bool same(const task& a, const task& b) {
  return a == b;
}

bool same(const device_group& a, const device_group& b) {
  return a.name == b.name && a.serials == b.serials
         && a.created_at == b.created_at;
}

// A record that decodes, encoded again, decodes to the same value; that
// encoding is canonical (encoding its decoding gives it back).
template <class Record>
void round_trip(std::string_view bytes) {
  Record first{};
  if (!codec::decode(bytes, first))
    return;
  std::string again = codec::encode(first);
  Record second{};
  check(codec::decode(again, second), "an encoded record decodes");
  check(same(first, second), "encode(decode(x)) decodes to the same value");
  check(codec::encode(second) == again, "encoding is canonical");
}

// A key of the list index: a stream's entry, total or bucket key, or an
// ended key, read and written again.
void list_key(std::string_view key) {
  millis at = 0;
  task_id id = 0;
  if (lists::parse_ended(key, at, id)) {
    task t;
    t.id = id;
    t.status = task_status::completed;
    t.finished_at = at;
    check(lists::ended(&t) == key, "ended(parse_ended(x)) == x");
    return;
  }
  if (key.empty()
      || (key[0] != lists::entry_tag && key[0] != lists::total_tag
          && key[0] != lists::bucket_tag))
    return;
  size_t tail = key[0] == lists::total_tag ? 0 : keys::id_size;
  lists::stream_parts p;
  if (key.size() < 1 + tail
      || !lists::parse_stream(key.substr(1, key.size() - 1 - tail), p))
    return;
  auto stream = key.substr(1, key.size() - 1 - tail);
  task t;
  t.serial = p.serial;
  t.script_name = p.script;
  t.status = static_cast<task_status>(p.status);
  t.source = p.source;
  check(lists::stream_of(t, p.mask) == stream, "a stream joins back to itself");
  if (key[0] == lists::total_tag)
    check(lists::total(stream) == key, "total(stream) == x");
  else if (key[0] == lists::entry_tag)
    check(lists::entry(stream, lists::id_of(key)) == key,
          "entry(stream, id_of(x)) == x");
  else
    check(lists::bucket(stream, lists::bucket_of(key)) == key,
          "bucket(stream, bucket_of(x)) == x");
}

void due_key(std::string_view key) {
  millis at = 0;
  task_id id = 0;
  if (!keys::parse_due(key, at, id))
    return;
  check(keys::due(at, id) == key, "due(parse_due(x)) == x");
}

void id_key(std::string_view key) {
  if (key.size() != keys::id_size)
    return;
  auto id = keys::get_u64(key);
  check(keys::task_key(id) == key, "an id reads back as its key");
  check(keys::get_u64(keys::u64_bytes(id)) == id, "u64 bytes round trip");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: round_trip<task>(bytes); break;
    case 1: round_trip<account>(bytes); break;
    case 2: round_trip<idempotency_record>(bytes); break;
    case 3: round_trip<std::vector<log_line>>(bytes); break;
    case 4: list_key(bytes); break;
    case 5: due_key(bytes); break;
    case 6: id_key(bytes); break;
    case 7: round_trip<device_group>(bytes); break;
  }
  return 0;
}

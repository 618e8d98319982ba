// Writes the seed corpus of the store_codec target (tests/fuzz/corpus/
// store_codec/) with the real encoders: each file is the selector byte of
// store_codec.cpp, then a record or key. Run by hand when a format changes:
//   cmake --build build-f --target fuzz_store_codec_seeds
//   build-f/fuzz_store_codec_seeds tests/fuzz/corpus/store_codec
#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/lists.hpp"

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

namespace {

using namespace tmx;

// The selectors of store_codec.cpp.
enum selector : char {
  task_record = 0,
  account_record = 1,
  idempotency = 2,
  log_record = 3,
  list_key = 4,
  due_key = 5,
  id_key = 6,
  group_record = 7,
};

std::string dir;

void seed(const std::string& name, selector s, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.put(s);
  out << bytes;
}

task sample_task() {
  task t;
  t.id = 42;
  t.serial = "sim-0001";
  t.username = "alice";
  t.script_name = "post";
  t.script_config = R"({"content_type":0,"captions":"hi"})";
  t.status = task_status::completed;
  t.scheduled_at = 1'767'225'600'000;
  t.created_at = 1'767'225'500'000;
  t.started_at = 1'767'225'600'100;
  t.finished_at = 1'767'225'602'100;
  t.retry_count = 2;
  t.remark = "done";
  t.node = "local";
  t.queue_seq = 7;
  t.auto_retry_count = 1;
  t.exit_code = 0;
  return t;
}

// A record of an older format: the current one without its last fields
// (which must then hold their defaults, one byte each).
std::string older(std::string bytes, uint8_t format, size_t dropped) {
  bytes[0] = static_cast<char>(format);
  return bytes.substr(0, bytes.size() - dropped);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_store_codec_seeds DIR\n";
    return 2;
  }
  dir = argv[1];
  task t = sample_task();
  seed("task-completed", task_record, codec::encode(t));
  task pending;
  pending.id = 1;
  pending.serial = "sim-0002";
  pending.script_name = "follow";
  pending.script_config = R"({"target_users":["bob"]})";
  pending.source = "ui";
  seed("task-pending-defaults", task_record, codec::encode(pending));
  task failed = t;
  failed.status = task_status::failed;
  failed.exit_code = 255;
  failed.scheduled_at = -1;
  failed.remark = "killed by signal 9";
  seed("task-failed-exit-255", task_record, codec::encode(failed));
  task old = pending; // auto_retry_count 0 and no exit code: one byte each
  seed("task-format-2", task_record, older(codec::encode(old), 2, 1));
  seed("task-format-1", task_record, older(codec::encode(old), 1, 2));
  seed("account-enabled", account_record,
       codec::encode(account{"alice", "sim-0001", "tiktok", true}));
  seed("account-disabled", account_record,
       codec::encode(account{"@bob", "sim-0002", "instagram", false}));
  seed("idempotency-two-ids", idempotency,
       codec::encode(idempotency_record{
         "key-1", "0123456789abcdef", {101, 102}, 1'767'225'600'000}));
  seed("idempotency-no-ids", idempotency,
       codec::encode(idempotency_record{"k", "", {}, 0}));
  seed("log-three-lines", log_record,
       codec::encode(std::vector<log_line>{{1'767'225'600'000, "started"},
                                           {1'767'225'601'000, "::remark ok"},
                                           {1'767'225'602'000, ""}}));
  seed("log-empty", log_record, codec::encode(std::vector<log_line>{}));
  seed("list-entry", list_key, lists::entry(lists::stream_of(t, 3), 42));
  seed("list-total", list_key, lists::total(lists::stream_of(t, 1)));
  seed("list-bucket", list_key, lists::bucket(lists::stream_of(pending, 0), 0));
  seed("list-ended", list_key, *lists::ended(&t));
  seed("due-positive", due_key, keys::due(1'767'225'600'000, 42));
  seed("due-negative", due_key, keys::due(-5, 1));
  seed("task-key", id_key, keys::task_key(42));
  seed("meta-next-id", id_key, keys::u64_bytes(1000));
  seed("group-two-serials", group_record,
       codec::encode(
         device_group{"", {"sim-0001", "R58M123ABC"}, 1'767'225'500'000}));
  seed("group-empty", group_record, codec::encode(device_group{}));
  return 0;
}

// The keys of the list index (column family `lists`), which answers
// GET /api/v1/task for any combination of filters without walking:
//
// A task belongs to four *streams*, one per subset ("mask") of the two
// many-valued filters, serial and script; each stream is qualified by the
// task's status and source, the few-valued filters:
//
//   stream = mask | [u32 len | serial] | [u32 len | script] | status | u32
//            len | source           (serial present when mask & by_serial…)
//
//   'e' | stream | ~id      → empty   a task of the stream (newest first)
//   't' | stream            → count   tasks of the stream (merge: add)
//   'b' | stream | ~bucket  → count   of them with id >> bucket_bits ==
//                                     bucket (merge: add), for deep pages
//                                     (streams without a serial only)
//   'f' | at | id           → empty   a completed or failed task that
//                                     finished at `at` (retention's walk)
//   'q' | u32 len | serial | seq | id → at | username
//                                     a pending task in its device's queue
//                                     (queue order), due at `at` (0: now)
//
// A query takes the mask of the filters it has, so the streams it needs
// are the 't' keys under one prefix (at most status × source of them),
// whose counts add up to the exact total; its page is a merge of those
// streams by descending id; a deep page starts at the bucket that holds
// its first task. Counts are written as merge operands (no read before a
// write) and read as u64 (two's complement sums). Private to storage/.
#pragma once

#include "model/task.hpp"
#include "model/task_query.hpp"

#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmx::lists {

constexpr char entry_tag = 'e';
constexpr char total_tag = 't';
constexpr char bucket_tag = 'b';
constexpr char ended_tag = 'f';
constexpr char queue_tag = 'q';

constexpr uint8_t by_serial = 1;
constexpr uint8_t by_script = 2;
constexpr uint8_t mask_count = 4;

/// A bucket holds the ids with the same id >> bucket_bits.
constexpr int bucket_bits = 12;

/// Whether the streams of `mask` have bucket counts. A stream that fixes a
/// serial holds one device's tasks, few enough to walk to a deep page; its
/// buckets would cost two more merges per change of a task, and ones that
/// grouped writes cannot share (every device has its own). Version 5
/// dropped them.
constexpr bool has_buckets(uint8_t mask) {
  return (mask & by_serial) == 0;
}

/// mask | [serial] | [script]: the part of a stream a query fixes.
std::string stream_prefix(uint8_t mask, std::string_view serial,
                          std::string_view script);

/// The stream of `t` under `mask`.
std::string stream_of(const task& t, uint8_t mask);

/// The parts of a stream; false when `stream` is not one.
struct stream_parts {
  uint8_t mask = 0;
  std::string_view serial, script, source;
  uint8_t status = 0;
};
bool parse_stream(std::string_view stream, stream_parts& out);

/// tag | stream (| id or bucket). Ids and buckets are stored inverted
/// (~id, ~bucket), so that a forward walk meets the newest first.
std::string entry(std::string_view stream, task_id id);
std::string total(std::string_view stream);
std::string bucket(std::string_view stream, uint64_t b);

/// Above every entry or bucket key (`tag`) of `stream`.
std::string stream_end(char tag, std::string_view stream);

/// The task id of an entry or ended key; the bucket of a bucket key.
task_id id_of(std::string_view key);
uint64_t bucket_of(std::string_view key);

/// The retention entry of a finished task (null: no task).
std::optional<std::string> ended(const task* t);
bool parse_ended(std::string_view key, millis& at, task_id& id);
/// 'f' | at | 0: the first possible ended key at `at`.
std::string ended_from(millis at);

/// Every key of the family `t` calls for: its four stream entries and,
/// when it finished, its ended entry (the queue entry: queue_entry).
std::vector<std::string> entries_of(const task& t);

/// The queue entry of a pending task (null: no task), key and value.
std::optional<std::pair<std::string, std::string>> queue_entry(const task* t);
/// The first queue key of `serial` after queue_seq `after`, and the end.
std::string queue_from(std::string_view serial, uint64_t after);
std::string queue_end(std::string_view serial);
/// Reads a queue entry; false when it is not one.
bool parse_queue(std::string_view key, std::string_view value,
                 std::string_view& serial, queued_entry& out);

/// Whether `key` is the total of an unfiltered stream (mask 0: one per
/// status × source), which the store's counts add up.
bool is_status_total(std::string_view key);

/// Adds `delta` to the total and bucket counts of every stream of `t`.
void add_counts(const task& t, int64_t delta,
                std::map<std::string, int64_t>& counts);

/// A count's value; false when it is not 8 bytes.
bool parse_count(std::string_view value, uint64_t& out);
std::string count_bytes(int64_t delta);

/// The merge operator of the family: adds u64 values (mod 2^64).
std::shared_ptr<rocksdb::MergeOperator> add_operator();

} // namespace tmx::lists

// The events of the contract's event stream and webhooks: what happened,
// when, and the object it happened to. Pure data and pure functions; the
// store assigns ids and keeps them (an outbox written in the same batch as
// the change), the event hub fans them out.
#pragma once

#include "model/task.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmx {

enum class event_type : uint8_t {
  task_created = 1,
  task_started,
  task_completed,
  task_failed,
  task_retried, // pending again (retry, automatic retry, host lost)
  task_deleted, // the task object is its last state
  device_updated,
  node_online,
  node_offline,
};

constexpr std::array<event_type, 9> all_event_types{
  event_type::task_created,   event_type::task_started,
  event_type::task_completed, event_type::task_failed,
  event_type::task_retried,   event_type::task_deleted,
  event_type::device_updated, event_type::node_online,
  event_type::node_offline};

/// "task.created", ...
const char* to_string(event_type t);

/// The inverse of to_string; nullopt for anything else.
std::optional<event_type> parse_event_type(std::string_view s);

/// The SSE `event:` field and the data object's key: "task", "device" or
/// "node".
const char* subject_of(event_type t);

bool is_task_event(event_type t);

/// A comma-separated list of types ("task.completed,task.failed"); `bad`
/// names the first unknown one. Empty input: nullopt, `bad` empty.
std::optional<std::vector<event_type>> parse_event_types(std::string_view list,
                                                         std::string& bad);

struct event {
  uint64_t id = 0; // from 1, one more per event, assigned by the store
  event_type type = event_type::task_created;
  millis at = 0;
  /// The data object as JSON text: {"type": ..., "at": ..., "<subject>":
  /// {...}}, rendered once: by whoever makes a device or node event, and
  /// from `task_record` for a task event (off the store's thread: the
  /// hub and the webhook senders do it, storage/codec.hpp render).
  std::string data;
  /// A task event's task as the store encodes it, until `data` is
  /// rendered from it.
  std::string task_record;
};

/// The task event of a task's move from `before` to `after` (null: the
/// task is new, or erased), if the move is one: a change that keeps the
/// status is none.
std::optional<event_type> task_event_of(const task* before, const task* after);

/// An event of `type` at `at` about `t` (id 0: the store assigns it).
event make_task_event(event_type type, millis at, const task& t);

/// An event whose subject is given as JSON text (a device or node object).
event make_event(event_type type, millis at, std::string_view subject_json);

/// The event as one SSE message: "id: N\nevent: <subject>\ndata: ...\n\n".
void append_sse(std::string& out, const event& e);

} // namespace tmx

// Schedules: recurring creates. The record, the bodies of POST
// /api/v1/schedule and of its partial update, and the rule of which slot a
// schedule owes at a given moment. Plain data and pure functions; the
// schedule keeper fires them, the store keeps the durable copy.
#pragma once

#include "model/create_request.hpp"
#include "model/error.hpp"
#include "model/task.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tmx {

struct schedule {
  uint64_t id = 0; // from 1, assigned by the store
  std::string name;
  bool enabled = true;
  std::vector<uint8_t> weekdays; // ISO, 1 = Monday; ascending, each once
  std::vector<uint16_t> times;   // minutes after local midnight; ascending
  std::string task; // the create body it fires: compact JSON, as given
  millis created_at = 0;
  /// When its weekdays, times and enabled took their present values
  /// (created_at, or their last change): no slot before it is owed.
  millis armed_at = 0;
  millis last_slot = 0;               // the slot it last fired for, 0: none
  millis last_run_at = 0;             // when it last fired (slot or run)
  std::vector<task_id> last_task_ids; // the tasks of that firing
  /// Not stored: the keeper's next firing, 0 = none (disabled).
  millis next_run_at = 0;
};

bool operator==(const schedule& a, const schedule& b);
inline bool operator!=(const schedule& a, const schedule& b) {
  return !(a == b);
}

/// The body of POST /api/v1/schedule/{id}: the fields it names, with
/// their new values in `values` (the others there are unspecified).
struct schedule_patch {
  enum field : uint8_t {
    name = 1,
    enabled = 2,
    weekdays = 4,
    times = 8,
    task = 16,
  };
  uint64_t id = 0;
  uint8_t fields = 0;
  schedule values;

  bool has(field f) const { return (fields & f) != 0; }
};

/// The longest name, in bytes.
constexpr size_t max_schedule_name = 200;

/// The body of POST /api/v1/schedule at `now` into `out`: name, enabled,
/// weekdays, times and task (the rest untouched). The task body is
/// validated as a create would be, errors naming its field with a `task.`
/// prefix; it must not have a start_time (the times say when it fires).
api_error parse_schedule_request(std::string_view body, millis now,
                                 schedule& out);

/// The partial update: any of the fields of a schedule request; a field
/// that is absent or null is left as it is.
api_error parse_schedule_patch(std::string_view body, millis now,
                               schedule_patch& out);

/// Sets the fields `p` names in `s`; true when weekdays, times or enabled
/// changed (the slots the schedule owes start anew then).
bool apply_patch(const schedule_patch& p, schedule& s);

/// The create `task` (a schedule's body) makes at `now`. Errors as
/// parse_schedule_request names them.
api_error schedule_create_request(const std::string& task, millis now,
                                  create_request& out);

/// An error of a schedule's create (its parsing, or the task manager's
/// refusal of it) naming the field with the `task.` prefix:
/// "task.script_config.captions must be a string".
api_error task_error(api_error err);

/// A schedule id as a path holds it: a positive decimal integer.
bool parse_schedule_id(std::string_view text, uint64_t& out);

/// Minutes after midnight as "HH:MM".
std::string clock_text(uint16_t minutes);

/// What a schedule owes at `now` (its timer fired, or the server started):
/// the latest of its slots after `done` (every slot up to it is handled)
/// and at or before `now`, fired when less than `window` old, else
/// skipped. slot 0: nothing owed (or the schedule is disabled).
struct owed_slot {
  millis slot = 0;
  bool fire = false;
};
owed_slot owed(const schedule& s, millis done, millis now, millis window);

/// Every slot up to this one is fired or no longer owed.
millis handled_until(const schedule& s);

} // namespace tmx

// The task manager's parts, shared by its source files (not an interface of
// its own): per-task lanes that serialise operations, the write helper, and
// the transitions run through them.
#pragma once

#include "actors/task_manager.hpp"
#include "actors/timeouts.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

namespace tmx::manager {

using manager_ptr = task_manager_actor::stateful_pointer<task_manager_state>;

// -- lanes: one operation per task at a time -------------------------------

/// Runs `op` once every earlier operation on task `id` is over; `op` (or
/// what it starts) must call unlock(self, id) exactly once.
void lock(manager_ptr self, task_id id, std::function<void()> op);
void unlock(manager_ptr self, task_id id);

/// lock() of every id (each once), then `op`; unlock_all() ends it.
void lock_all(manager_ptr self, std::vector<task_id> ids,
              std::function<void()> op);
void unlock_all(manager_ptr self, const std::vector<task_id>& ids);

/// The current state of a task (active, else read from the store), or null
/// and the error; `done` ends the operation (unlocks the task).
using task_op = std::function<void(const task* current, const caf::error& err,
                                   std::function<void()> done)>;

/// Runs `op` on task `id` in its lane.
void with_task(manager_ptr self, task_id id, task_op op);

// -- writes -----------------------------------------------------------------

/// Writes tasks and logs; `then` runs once the write is durable, `failed`
/// with the store's error (nothing was written).
void write(manager_ptr self, std::vector<task> tasks,
           std::vector<task_log> logs, std::function<void()> then,
           std::function<void(const caf::error&)> failed);

// -- devices and queues -------------------------------------------------------

task_manager_actor handle(manager_ptr self);
device_actor& spawn_device(manager_ptr self, const std::string& serial);

/// The account gate of a username (invalid for "": no account).
account_actor gate(manager_ptr self, const std::string& username);

/// Tells the device of a stored pending task that it is due in its queue;
/// until it is due the scheduler holds it and wakes it then.
void admit(manager_ptr self, const task& t);

/// A task that stops being pending or running: a run ends (and leaves
/// memory), a pending task leaves the device (of `serial`, when known)
/// that holds it.
void withdraw(manager_ptr self, task_id id, const std::string& serial = "");

/// The next due tasks of a device queue after `after`, for the device.
void read_queue(manager_ptr self, const std::string& serial, uint64_t after,
                uint32_t limit, caf::typed_response_promise<queue_slice> rp);

// -- transitions (task_transitions.cpp) -------------------------------------

void stop(manager_ptr self, task_id id, caf::typed_response_promise<task> rp);
void retry(manager_ptr self, task_id id, caf::typed_response_promise<task> rp);
void retry_all(manager_ptr self, caf::typed_response_promise<uint64_t> rp);
void erase(manager_ptr self, std::vector<task_id> ids,
           caf::typed_response_promise<std::vector<task_id>> rp);
void start(manager_ptr self, task_id id, std::string serial, std::string node,
           caf::typed_response_promise<run_order> rp);
void finish(manager_ptr self, run_result r);
void wake(manager_ptr self, const std::vector<task_id>& ids);
void append_lines(manager_ptr self, task_id id, std::vector<log_line> lines);

// -- device groups (task_groups.cpp) ------------------------------------------

/// Stores the group (its serials must be known devices), then takes it
/// over and tells the devices it adds or drops.
void put_group(manager_ptr self, device_group g,
               caf::typed_response_promise<device_group> rp);
/// Removes the group from the store, then from memory and its devices.
void erase_group(manager_ptr self, const std::string& name,
                 caf::typed_response_promise<ok_atom> rp);
/// Tells the device of each of `serials` the groups that hold it now.
void tell_groups(manager_ptr self, const std::vector<std::string>& serials);

} // namespace tmx::manager

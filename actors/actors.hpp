// The map of tmx: every typed actor interface with one comment per message
// and their registration with CAF (atoms and message data types in
// actors/messages.hpp). Read this first.
#pragma once

#include "model/account.hpp"
#include "model/create_request.hpp"
#include "model/device.hpp"
#include "model/event.hpp"
#include "model/group.hpp"
#include "model/schedule.hpp"
#include "model/webhook.hpp"

#include "actors/event_sink.hpp"
#include "actors/messages.hpp"
#include "model/error.hpp"
#include "model/idempotency.hpp"
#include "model/task.hpp"
#include "model/task_log.hpp"
#include "model/task_query.hpp"
#include "model/transitions.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tmx {

// -- interfaces --------------------------------------------------------------

/// Fans the events the store has written out to SSE streams and webhook
/// senders; keeps the last events (at least 10 000) for resumption. Never
/// waits for a sink: a slow one is cut off.
using event_hub_actor = caf::typed_actor<
  // Events just written, ascending ids (from the store actor).
  caf::reacts_to<publish_atom, std::vector<event>>,
  // A sink wants the live events; with resume, first every held event
  // after `after` (or a reset when they are no longer held).
  caf::reacts_to<subscribe_atom, bool, uint64_t, event_sink_ptr>,
  // Timer (its own): keep-alive for every sink every 15 s.
  caf::reacts_to<tick_atom>,
  // How many sinks are attached (tmx_events_subscribers).
  caf::replies_to<get_atom>::with<uint64_t>,
  // Ends every stream cleanly and forgets every sink.
  caf::replies_to<shutdown_atom>::with<ok_atom>>;

/// Owns the RocksDB store (a detached actor); nothing else touches it.
using store_actor = caf::typed_actor<
  // Stores new tasks atomically, with the idempotency record if key != "".
  caf::replies_to<create_atom, std::vector<task>,
                  idempotency_record>::with<ok_atom>,
  // The same, with the record of the schedule firing that made them, in
  // one batch (not_found, nothing written, if the schedule is gone).
  caf::replies_to<create_atom, std::vector<task>, idempotency_record,
                  schedule>::with<ok_atom>,
  // Stores a schedule; a new one (id 0) gets the next id. Replies with it.
  caf::replies_to<schedule_atom, schedule>::with<schedule>,
  // Removes a schedule (not_found if unknown).
  caf::replies_to<schedule_atom, erase_atom, uint64_t>::with<ok_atom>,
  // Replaces existing tasks and their logs atomically (not_found if a task
  // is missing).
  caf::replies_to<update_atom, std::vector<task>,
                  std::vector<task_log>>::with<ok_atom>,
  // The log of a task's last run (not_found if the task is missing).
  caf::replies_to<log_atom, task_id>::with<std::vector<log_line>>,
  // Pending tasks due in [from, until), ascending.
  caf::replies_to<due_atom, millis, millis>::with<std::vector<due_entry>>,
  // Creates or replaces an account.
  caf::replies_to<account_atom, account>::with<ok_atom>,
  // Removes an account (not_found if unknown).
  caf::replies_to<account_atom, erase_atom, std::string>::with<ok_atom>,
  // Deletes the tasks that exist; replies with the ids that did.
  caf::replies_to<erase_atom, std::vector<task_id>>::with<std::vector<task_id>>,
  // One task by id (not_found if missing).
  caf::replies_to<get_atom, task_id>::with<task>,
  // One page of tasks matching a filter, newest first.
  caf::replies_to<list_atom, task_filter, uint32_t, uint32_t>::with<task_page>,
  // Exact counts per status, from the list index's totals.
  caf::replies_to<stats_atom>::with<task_counts>,
  // Every failed task, ascending id.
  caf::replies_to<failed_atom>::with<std::vector<task>>,
  // The idempotency record of a key (not_found if none).
  caf::replies_to<idem_atom, std::string>::with<idempotency_record>,
  // Remembers a device serial and the accounts found on it.
  caf::replies_to<device_atom, device_desc>::with<ok_atom>,
  // Appends lines to the stored log of a running task (not_found if the
  // task is missing).
  caf::replies_to<log_atom, task_id, std::vector<log_line>>::with<ok_atom>,
  // Why writes fail at present ("" = writable): /readyz.
  caf::replies_to<ready_atom>::with<std::string>,
  // Timer (its own): the events written since the last one go to the hub.
  caf::reacts_to<publish_atom>,
  // Its own, with storage.sync: one fsync acknowledges every write before.
  caf::reacts_to<sync_atom>,
  // Its own: the inserts and updates waiting are written together.
  caf::reacts_to<create_atom>,
  // Retention: deletes up to n finished tasks older than the cutoff, no
  // events; replies with how many and whether more may wait.
  caf::replies_to<expire_atom, millis, uint32_t>::with<uint64_t, bool>,
  // Up to n pending tasks of a device queue after a queue_seq, in order.
  caf::replies_to<queue_atom, std::string, uint64_t,
                  uint32_t>::with<std::vector<queued_entry>>,
  // The due pending tasks of every serial that has pending ones.
  caf::replies_to<queue_atom, millis>::with<std::vector<std::string>,
                                            std::vector<uint64_t>>,
  // Device and node events: stored (ids assigned), then published.
  caf::reacts_to<event_atom, std::vector<event>>,
  // Up to `limit` stored events after id `after`, ascending.
  caf::replies_to<event_atom, uint64_t, uint32_t>::with<std::vector<event>>,
  // Stores a webhook; a new one (id 0) gets its id and, as its cursor, the
  // last event id: it receives the events written after it. Replies with
  // it.
  caf::replies_to<webhook_atom, webhook>::with<webhook>,
  // Every stored webhook, ascending id.
  caf::replies_to<webhook_atom>::with<std::vector<webhook>>,
  // Removes a webhook (not_found if unknown).
  caf::replies_to<webhook_atom, erase_atom, uint64_t>::with<ok_atom>,
  // A webhook's sender is done with every event up to this id.
  caf::replies_to<webhook_atom, cursor_atom, uint64_t, uint64_t>::with<ok_atom>,
  // Creates or replaces a device group (keyed by its name).
  caf::replies_to<group_atom, device_group>::with<ok_atom>,
  // Removes a device group (not_found if unknown).
  caf::replies_to<group_atom, erase_atom, std::string>::with<ok_atom>,
  // Answers once every earlier message is processed, then terminates.
  caf::replies_to<shutdown_atom>::with<ok_atom>>;

/// The reads of store_actor that the HTTP layer sends: a subset handle, so
/// that the API cannot write behind the task manager's back.
using store_reader_actor = caf::typed_actor<
  // The log of a task's last run (not_found if the task is missing).
  caf::replies_to<log_atom, task_id>::with<std::vector<log_line>>,
  // One task by id (not_found if missing).
  caf::replies_to<get_atom, task_id>::with<task>,
  // One page of tasks matching a filter, newest first.
  caf::replies_to<list_atom, task_filter, uint32_t, uint32_t>::with<task_page>,
  // Exact counts per status, from the list index's totals.
  caf::replies_to<stats_atom>::with<task_counts>,
  // Why writes fail at present ("" = writable): /readyz.
  caf::replies_to<ready_atom>::with<std::string>>;

/// Where a device host reports the changes of its devices once registered
/// (the server's gatekeeper).
using device_report_actor = caf::typed_actor<
  // A device of this node (name) appeared or changed.
  caf::reacts_to<device_atom, std::string, device_desc>>;

/// Runs tasks on the phones of one machine (in-process or a tmx-agent).
using device_host_actor = caf::typed_actor<
  // Starts a run; the result goes to the sender as (done_atom, run_result).
  caf::reacts_to<run_atom, run_order>,
  // Ends the run of a task at once (no result is sent for it).
  caf::reacts_to<cancel_atom, task_id>,
  // Ends every run: the server that ordered them is gone and has failed
  // them (at-most-once).
  caf::reacts_to<stop_atom>,
  // The devices this host has.
  caf::replies_to<get_atom>::with<std::vector<device_desc>>,
  // From now on, device changes go to this actor (a host whose devices
  // change first reports them all: nothing since registration is lost).
  caf::reacts_to<attach_atom, device_report_actor>,
  // The device's screen now, as PNG bytes.
  caf::replies_to<screen_atom, std::string>::with<std::string>>;

/// One per username: an account runs at most one task at a time, on
/// whichever device.
using account_actor = caf::typed_actor<
  // Takes the account for a task: true, or false and the sender gets
  // (wake_atom) once the account is free again.
  caf::replies_to<acquire_atom, task_id>::with<bool>,
  // Gives the account back.
  caf::reacts_to<release_atom, task_id>>;

/// Caps how many devices run a task at the same moment (license), fairly:
/// slots are granted first come, first served.
using limiter_actor = caf::typed_actor<
  // Asks for a slot; the sender gets (slot_atom) when it has one.
  caf::reacts_to<acquire_atom>,
  // Gives a slot back.
  caf::reacts_to<release_atom>>;

/// Where the scheduler sends what fell due (the task manager).
using due_sink_actor = caf::typed_actor<
  // Scheduled tasks fell due: they go to their device queues.
  caf::reacts_to<due_atom, std::vector<task_id>>>;

/// Wakes pending tasks at their due time; holds only what is due soon and
/// reads the rest from the store's due index as it comes near.
using scheduler_actor = caf::typed_actor<
  // Due tasks go to this actor from now on; nothing is sent before.
  caf::reacts_to<attach_atom, due_sink_actor>,
  // A task is due at this time (the scheduler drops what it will read from
  // the store later anyway).
  caf::reacts_to<due_atom, task_id, millis>,
  // Timer.
  caf::reacts_to<tick_atom>>;

/// The next due tasks of a device queue, as the task manager reads them
/// from the store for the device: ids, queue_seqs and account gates (an
/// invalid one for a task that runs as no account), in queue order.
struct queue_slice {
  std::vector<task_id> ids;
  std::vector<uint64_t> seqs;
  std::vector<account_actor> accounts;
  uint64_t last = 0; // the highest queue_seq read, due or not
  bool more = false; // the store may hold more after `last`
};

/// One per serial: the device's FIFO queue, read from the store a few
/// tasks at a time; runs one task at a time.
using device_actor = caf::typed_actor<
  // A pending task is due in the queue at queue_seq `seq`; the account
  // (if the task runs as one) must be free before it starts.
  caf::reacts_to<enqueue_atom, task_id, uint64_t, account_actor>,
  // An account this device waited for is free again.
  caf::reacts_to<wake_atom>,
  // The device may run now (from the limiter).
  caf::reacts_to<slot_atom>,
  // Removes a pending task from the queue (stopped or deleted).
  caf::reacts_to<dequeue_atom, task_id>,
  // Ends the task's run if it is the running one; the device is free after.
  caf::reacts_to<cancel_atom, task_id>,
  // The device's host is (again) this actor on this node, and the device
  // is as described (an offline device ends its run).
  caf::reacts_to<attach_atom, device_host_actor, std::string, device_desc>,
  // A run ended (from the host's runner).
  caf::reacts_to<done_atom, run_result>,
  // Lines the running task printed (from the host's runner, live).
  caf::reacts_to<log_atom, task_id, std::vector<log_line>>,
  // The device's screen now (PNG); conflict while it is offline.
  caf::replies_to<screen_atom>::with<std::string>,
  // The device groups that hold the device now, by name (its device
  // object shows them).
  caf::reacts_to<group_atom, std::vector<std::string>>,
  // The device as GET /api/v1/device shows it.
  caf::replies_to<get_atom>::with<device_info>>;

/// Owns task state: ids, transitions, queues; writes before it announces.
using task_manager_actor = caf::typed_actor<
  // Creates the tasks of one request; replies with their ids.
  caf::replies_to<create_atom, create_command>::with<std::vector<task_id>>,
  // Stops a pending or running task; replies with the task after the stop.
  caf::replies_to<stop_atom, task_id>::with<task>,
  // Makes a failed task pending again; replies with the task.
  caf::replies_to<retry_atom, task_id>::with<task>,
  // Makes every failed task pending again; replies with how many.
  caf::replies_to<retry_all_atom>::with<uint64_t>,
  // Stops and deletes tasks; replies with the ids that existed.
  caf::replies_to<erase_atom, std::vector<task_id>>::with<std::vector<task_id>>,
  // Every known device.
  caf::replies_to<device_atom>::with<std::vector<device_info>>,
  // A device wants to start this task: marks it running on that node and
  // replies with what to hand the host.
  caf::replies_to<start_atom, task_id, std::string,
                  std::string>::with<run_order>,
  // A run ended: the task becomes completed or failed.
  caf::reacts_to<done_atom, run_result>,
  // Live lines of a running task: appended to its stored log.
  caf::reacts_to<log_atom, task_id, std::vector<log_line>>,
  // A registered host's device appeared or changed.
  caf::reacts_to<device_atom, std::string, device_host_actor, device_desc>,
  // The screen of a device (PNG bytes): not_found for an unknown serial,
  // conflict while it is offline.
  caf::replies_to<screen_atom, std::string>::with<std::string>,
  // A device host announces itself and its devices; replies with the
  // serials it refused because a live host of another node has them.
  caf::replies_to<register_atom, std::string, device_host_actor,
                  std::vector<device_desc>>::with<std::vector<std::string>>,
  // Scheduled tasks fell due: they go to their device queues.
  caf::reacts_to<due_atom, std::vector<task_id>>,
  // The next due tasks of a device queue after a queue_seq (for the
  // device, which reads its queue in slices).
  caf::replies_to<queue_atom, std::string, uint64_t,
                  uint32_t>::with<queue_slice>,
  // Creates or updates an account; replies with it.
  caf::replies_to<account_atom, account>::with<account>,
  // Every account, ordered by username.
  caf::replies_to<account_atom>::with<std::vector<account>>,
  // Removes an account.
  caf::replies_to<account_atom, erase_atom, std::string>::with<ok_atom>,
  // Creates or replaces a device group (its serials must be known
  // devices); replies with it as stored.
  caf::replies_to<group_atom, device_group>::with<device_group>,
  // Every device group, ordered by name.
  caf::replies_to<group_atom>::with<std::vector<device_group>>,
  // Removes a device group (not_found if unknown); its tasks stay.
  caf::replies_to<group_atom, erase_atom, std::string>::with<ok_atom>>;

/// The one actor a node publishes on its cluster port: device hosts prove
/// the cluster secret here before anything else of the server hears them.
using gatekeeper_actor = caf::typed_actor<
  // A device host registers (node name, cluster secret, host, devices);
  // replies with the refused serials, or an error for a wrong secret.
  caf::replies_to<register_atom, std::string, std::string, device_host_actor,
                  std::vector<device_desc>>::with<std::vector<std::string>>,
  // A registered node is alive (agents ask every second, and take no
  // answer within their ping timeout as the server lost); not_found when
  // the sender's machine is not that node's registered host.
  caf::replies_to<ping_atom, std::string>::with<ok_atom>,
  // Timer (its own): a remote node without a ping for the ping timeout is
  // lost, and its connection ended.
  caf::reacts_to<tick_atom>,
  // A device of a registered node appeared or changed (from its host).
  caf::reacts_to<device_atom, std::string, device_desc>,
  // Every node known since start-up (for this node's HTTP API only).
  caf::replies_to<node_atom>::with<std::vector<node_info>>>;

/// Owns the webhooks: registers and removes them (stored first), and runs
/// one sender per webhook on its own thread, which POSTs each matching
/// event in order, retries with back-off and records its attempts.
using webhook_keeper_actor = caf::typed_actor<
  // Registers a webhook (url, events, secret checked by the HTTP layer);
  // replies with it, id and created_at assigned.
  caf::replies_to<webhook_atom, webhook>::with<webhook>,
  // Every webhook, ascending id.
  caf::replies_to<webhook_atom>::with<std::vector<webhook>>,
  // Removes a webhook and stops its sender (not_found if unknown).
  caf::replies_to<webhook_atom, erase_atom, uint64_t>::with<ok_atom>,
  // The last 100 attempts of a webhook, newest first (not_found if
  // unknown).
  caf::replies_to<webhook_atom, uint64_t>::with<std::vector<delivery_attempt>>,
  // Stops every sender (each ends its attempt under way first).
  caf::replies_to<shutdown_atom>::with<ok_atom>>;

/// Keeps the schedules: stores them, and at each of their slots (within a
/// second) creates their tasks through the task manager, as a client
/// would. Holds only each schedule's next firing, and sleeps until the
/// earliest.
using schedule_keeper_actor = caf::typed_actor<
  // Creates a schedule (task body checked by a dry run of its create);
  // replies with it, id, created_at and next_run_at set.
  caf::replies_to<schedule_atom, schedule>::with<schedule>,
  // Sets the fields a patch names (not_found if unknown); replies with
  // the schedule.
  caf::replies_to<schedule_atom, update_atom, schedule_patch>::with<schedule>,
  // Every schedule, ascending id.
  caf::replies_to<schedule_atom>::with<std::vector<schedule>>,
  // One schedule (not_found if unknown).
  caf::replies_to<schedule_atom, uint64_t>::with<schedule>,
  // Removes a schedule (not_found if unknown); its tasks stay.
  caf::replies_to<schedule_atom, erase_atom, uint64_t>::with<ok_atom>,
  // Fires a schedule now, whatever its slots; replies with the task ids.
  caf::replies_to<schedule_atom, run_atom,
                  uint64_t>::with<std::vector<task_id>>,
  // Timer (its own).
  caf::reacts_to<tick_atom>>;

/// The root supervisor of a server node: spawns the components, watches
/// them, and stops them in order.
using root_actor = caf::typed_actor<
  // The handles the HTTP layer talks to.
  caf::replies_to<get_atom>::with<task_manager_actor, store_reader_actor,
                                  gatekeeper_actor, event_hub_actor,
                                  webhook_keeper_actor, schedule_keeper_actor>,
  // Stops every component, the store last; answers once they are down.
  caf::replies_to<shutdown_atom>::with<ok_atom>>;

/// A tmx-agent's link to its server: registers the local device host with
/// the cluster secret, pings, and reconnects with back-off when the
/// connection ends or the pings go unanswered.
using connector_actor = caf::typed_actor<
  // Time to connect again (after a failure, with back-off).
  caf::reacts_to<reconnect_atom>,
  // Time to register again the devices another node had.
  caf::reacts_to<register_atom>,
  // Timer: judges the server's answers to the pings, and pings it every
  // ping interval.
  caf::reacts_to<ping_atom>>;

/// Registers every message type with CAF, the vectors of them included:
/// needed before anything crosses the network. (CAF 0.17.6's type-id block
/// registers no vectors, so this list is the one registration.)
void add_message_types(caf::actor_system_config& cfg);

// -- errors between actors ---------------------------------------------------

/// Domain errors travel as caf::error with this category and the message
/// text as context; `to_api_error` turns any caf::error back into one.
constexpr caf::atom_value error_category = caf::atom("tmx");

caf::error make_error(ec code, std::string message);
caf::error make_error(ec code);

/// Maps any error (ours, or CAF's: timeout, actor down) to the API's code
/// and a message that leaks no internals.
api_error to_api_error(const caf::error& err);

} // namespace tmx

// How each message type is serialised, for CAF.
#include "actors/inspect.hpp"

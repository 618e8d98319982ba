// The atoms and the message data of the actor interfaces (actors.hpp, the
// map, includes this).
#pragma once

#include "model/create_request.hpp"
#include "model/schedule.hpp"
#include "model/task.hpp"

#include <caf/atom.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tmx {

// -- atoms (at most 10 characters in CAF 0.17) --------------------------------

using caf::get_atom;
using caf::ok_atom;
using caf::put_atom;
using create_atom = caf::atom_constant<caf::atom("create")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using idem_atom = caf::atom_constant<caf::atom("idem")>;
using device_atom = caf::atom_constant<caf::atom("device")>;
using account_atom = caf::atom_constant<caf::atom("account")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using retry_all_atom = caf::atom_constant<caf::atom("retryall")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using enqueue_atom = caf::atom_constant<caf::atom("enqueue")>;
using dequeue_atom = caf::atom_constant<caf::atom("dequeue")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using due_atom = caf::atom_constant<caf::atom("due")>;
using acquire_atom = caf::atom_constant<caf::atom("acquire")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using slot_atom = caf::atom_constant<caf::atom("slot")>;
using log_atom = caf::atom_constant<caf::atom("log")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using node_atom = caf::atom_constant<caf::atom("node")>;
using screen_atom = caf::atom_constant<caf::atom("screen")>;
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using event_atom = caf::atom_constant<caf::atom("event")>;
using webhook_atom = caf::atom_constant<caf::atom("webhook")>;
using cursor_atom = caf::atom_constant<caf::atom("cursor")>;
using trim_atom = caf::atom_constant<caf::atom("trim")>;
using group_atom = caf::atom_constant<caf::atom("group")>;
using schedule_atom = caf::atom_constant<caf::atom("schedule")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using queue_atom = caf::atom_constant<caf::atom("queue")>;

// -- message data ------------------------------------------------------------

/// What a device actor hands its host: the task, and how long it may run.
struct run_order {
  task t;
  std::string serial;
  millis timeout = 0; // the run is ended and fails after this; 0 = never
};

/// A pending task that falls due at `due`.
struct due_entry {
  millis due = 0;
  task_id id = 0;
};

/// A create as the task manager receives it: the parsed body plus what the
/// HTTP layer knows from the headers, or what a schedule's firing adds.
struct create_command {
  create_request req;
  std::string source = "api";
  std::string idempotency_key; // "" = none
  std::string fingerprint;     // of the body, for idempotency
  /// Only plan the tasks: the reply is the error the create would get, or
  /// no ids (a schedule's task body is checked so before it is stored).
  bool dry_run = false;
  /// A schedule firing (id 0: none): its tasks get its schedule_id, and
  /// this record, with last_task_ids set, is stored in their batch.
  schedule firing;
};

} // namespace tmx

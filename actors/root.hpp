// The root supervisor of a tmx-server node: spawns the store, the task
// manager and the in-process device host, watches them, and shuts them down
// in order (the store last, after every write before it).
#pragma once

#include "actors/local_host.hpp"
#include "actors/retention.hpp"
#include "actors/schedule_keeper.hpp"
#include "actors/task_manager.hpp"
#include "actors/webhook_keeper.hpp"

#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <memory>

namespace tmx {

// Only declared (storage/store.hpp): the HTTP layer includes this header
// and has no business with the store itself.
class store;

/// The handles the HTTP layer talks to.
struct server_handles {
  task_manager_actor manager;
  store_reader_actor db; // reads only: every write goes through the manager
  gatekeeper_actor gate;
  event_hub_actor hub;
  webhook_keeper_actor hooks;
  schedule_keeper_actor schedules;
};

/// What the node's components are started with.
struct node_options {
  host_options host; // the in-process device host
  retry_policy retry;
  double timeout_scale = 1.0;
  size_t device_limit = 0;
  std::string cluster_secret;
  /// A remote node whose pings stop this long is lost.
  caf::timespan ping_timeout = std::chrono::seconds(3);
  webhook_options webhooks;
  /// A slot missed while the server was down fires at start-up if it is
  /// younger than this (schedule.catch-up).
  millis schedule_catch_up = default_catch_up;
  /// Completed and failed tasks older than this are deleted in the
  /// background (storage.retention); 0 keeps them forever.
  millis retention = 0;
};

struct root_state {
  static inline const char* name = "root";
  server_handles handles;
  store_actor db; // the full handle; handles.db is its read-only view
  scheduler_actor timer;
  limiter_actor limiter; // invalid without a device limit
  device_host_actor local_host;
  retention_actor retention; // invalid without storage.retention
  bool stopping = false;
};

/// Reads the start-up state from `db` (and fails the tasks that were
/// running when the previous process ended), then spawns the components.
/// Quits at once (an empty behavior) on a storage failure.
root_actor::behavior_type root(root_actor::stateful_pointer<root_state> self,
                               std::shared_ptr<store> db, node_options opts);

/// The start-up work of `root`, exposed for tests: running tasks become
/// failed "interrupted by server restart"; pending tasks due by `now` come
/// back in queue order, later ones are left to the scheduler. False (and
/// `error`) on a storage failure.
bool recover(store& db, millis now, task_manager_init& init,
             std::string& error);

} // namespace tmx

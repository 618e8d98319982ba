// The gatekeeper: the only actor a server publishes on its cluster port.
// Device hosts prove the cluster secret here; only then does the task
// manager hear of them. Keeps the node list of GET /api/v1/node and judges
// the agents' pings: a node silent for the ping timeout is lost, as if its
// connection had broken.
#pragma once

#include "actors/actors.hpp"

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <functional>
#include <map>

namespace tmx {

struct gatekeeper_options {
  std::string secret;
  /// A remote node whose last ping is older than this is lost.
  caf::timespan ping_timeout = std::chrono::seconds(3);
  /// How often the pings are judged (agents ping every second): a silent
  /// node is lost this soon after the ping timeout.
  caf::timespan tick_interval = std::chrono::milliseconds(250);
  /// A tick this much later than due means this process did not run.
  caf::timespan stall = std::chrono::seconds(1);
  /// Where node.online / node.offline events are written (none: no
  /// events).
  store_actor db;
};

struct known_node {
  node_info info;
  device_host_actor host;                 // invalid while offline
  bool remote = false;                    // false: the in-process host
  caf::actor_clock::time_point last_ping; // on the actor clock
};

struct gatekeeper_state {
  static inline const char* name = "gatekeeper";
  gatekeeper_options opts;
  task_manager_actor manager;
  std::function<millis()> clock; // wall time, for what the API shows
  std::map<std::string, known_node> nodes;
  bool ticking = false;
  caf::actor_clock::time_point tick_due; // when the pending tick should come
};

gatekeeper_actor::behavior_type
gatekeeper(gatekeeper_actor::stateful_pointer<gatekeeper_state> self,
           gatekeeper_options opts, task_manager_actor manager,
           std::function<millis()> clock);

} // namespace tmx

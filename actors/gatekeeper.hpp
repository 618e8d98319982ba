// The gatekeeper: the only actor a server publishes on its cluster port.
// Device hosts prove the cluster secret here; only then does the task
// manager hear of them. Also keeps the node list of GET /api/v1/node.
#pragma once

#include "actors/actors.hpp"

#include <functional>
#include <map>

namespace tmx {

struct known_node {
  node_info info;
  device_host_actor host;
};

struct gatekeeper_state {
  static inline const char* name = "gatekeeper";
  std::string secret;
  task_manager_actor manager;
  std::function<millis()> clock;
  std::map<std::string, known_node> nodes;
};

gatekeeper_actor::behavior_type
gatekeeper(gatekeeper_actor::stateful_pointer<gatekeeper_state> self,
           std::string secret, task_manager_actor manager,
           std::function<millis()> clock);

} // namespace tmx

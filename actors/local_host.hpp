// The device host of a process (tmx-server's in-process one, or a
// tmx-agent's), by driver: simulated phones or the phones of the adb server.
#pragma once

#include "actors/adb_host.hpp"
#include "actors/sim_host.hpp"

namespace tmx {

struct host_options {
  std::string driver = "sim"; // "sim" | "adb"
  sim_options sim;
  adb_options adb;

  /// Names the node in both drivers' options.
  void set_node(const std::string& node) {
    sim.node = node;
    adb.run.node = node;
  }
};

/// Spawns the host `opts` names with `spawner` (an actor system or an actor).
template <class Spawner>
device_host_actor spawn_host(Spawner& spawner, const host_options& opts) {
  if (opts.driver == "adb")
    return spawner.spawn(adb_host, opts.adb);
  return spawner.spawn(sim_host, opts.sim);
}

} // namespace tmx

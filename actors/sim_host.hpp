// A device host with simulated phones: the in-process host of a bare
// tmx-server and the demo/benchmark fleet. Each run is a runner actor that
// takes `task_duration` and fails with probability `failure_rate`.
#pragma once

#include "actors/actors.hpp"

#include <caf/timespan.hpp>

#include <random>
#include <unordered_map>

namespace tmx {

struct sim_options {
  std::string node = "local";
  std::string prefix = "sim-";
  int devices = 8;
  caf::timespan task_duration = std::chrono::seconds(2);
  double failure_rate = 0;
};

/// Serials "sim-0001".. and two accounts per device, "sim-0001-a"/"-b".
std::vector<device_desc> simulated_devices(const sim_options& opts);

struct sim_run {
  caf::actor runner;
  device_actor device;
  std::string serial;
  std::string script;
};

struct sim_host_state {
  static inline const char* name = "sim_host";
  sim_options opts;
  std::unordered_map<task_id, sim_run> runs;
  std::mt19937_64 rng{std::random_device{}()};
};

/// Runs what the device actors of its devices hand it; whoever spawns it
/// registers it (in-process with the gatekeeper, or an agent's connector).
device_host_actor::behavior_type
sim_host(device_host_actor::stateful_pointer<sim_host_state> self,
         sim_options opts);

} // namespace tmx

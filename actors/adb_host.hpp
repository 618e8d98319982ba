// A device host for real phones: follows the adb server's device list
// (host:track-devices-l, no polling), reads each phone's model, Android
// release and battery, and runs each task as a script process.
#pragma once

#include "actors/actors.hpp"
#include "actors/script_runner.hpp"
#include "host/adb_client.hpp"

#include <caf/timespan.hpp>

#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace tmx {

using track_atom = caf::atom_constant<caf::atom("track")>;

struct adb_options {
  script_run_options run; // node name, scripts, stop grace, adb server
  caf::timespan battery_interval = std::chrono::minutes(1);
};

/// The host's own messages besides the device host interface.
using adb_host_actor = device_host_actor::extend<
  // The adb server's device list changed (state only; from the tracker).
  caf::reacts_to<track_atom, std::vector<device_desc>>,
  // The adb server cannot be reached (from the tracker).
  caf::reacts_to<track_atom, std::string>,
  // What was read from a phone (model, Android release, battery).
  caf::reacts_to<put_atom, device_desc>,
  // Time to read the batteries again.
  caf::reacts_to<tick_atom>>;

struct adb_run {
  caf::actor runner;
  device_actor device;
};

struct adb_host_state {
  static inline const char* name = "adb_host";
  adb_options opts;
  std::map<std::string, device_desc> devices;
  std::unordered_map<task_id, adb_run> runs;
  std::set<caf::actor_addr> ending; // cancelled runners still stopping
  device_report_actor listener;     // invalid until registered
  bool reachable = true;
  std::unique_ptr<host::device_tracker> tracker;
};

adb_host_actor::behavior_type
adb_host(adb_host_actor::stateful_pointer<adb_host_state> self,
         adb_options opts);

} // namespace tmx

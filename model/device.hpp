// Devices and device hosts (nodes) as the API shows them and as hosts
// announce them: plain data, shared by the actors, the HTTP layer and the
// events.
#pragma once

#include "model/task.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tmx {

/// A device as a device host announces it (at registration and on every
/// change: plugged in, unplugged, authorised, battery).
struct device_desc {
  std::string serial;
  std::vector<std::string> accounts; // usernames logged in on the device
  std::string driver = "sim";        // "sim" | "adb"
  std::string state_reason;          // "" = usable; else why it is not
  std::string model;                 // "" = unknown
  std::string android;               // Android release, "" = unknown
  int battery = -1;                  // percent, -1 = unknown

  bool online() const { return state_reason.empty(); }
};

/// A device as GET /api/v1/device shows it.
struct device_info {
  std::string serial;
  std::string node;            // "" = never attached
  std::string state;           // "online" | "busy" | "offline"
  task_id running_task_id = 0; // 0 = none
  uint64_t queued = 0;
  std::vector<std::string> accounts;
  std::vector<std::string> groups; // the device groups holding it, by name
  std::string driver;              // "" = never attached
  std::string state_reason;        // "" while online
  std::string model;
  std::string android;
  int battery = -1;
  millis last_seen = 0; // last time its host reported it usable
};

/// A device host (node) as GET /api/v1/node shows it.
struct node_info {
  std::string name;
  std::string address; // "host:port" of the peer, "in-process"
  std::vector<std::string> devices;
  millis connected_since = 0;
  millis last_seen = 0;
  bool online = false;
};

} // namespace tmx

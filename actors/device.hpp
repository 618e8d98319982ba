// The device actor: one per serial, in the server. Keeps the device's FIFO
// queue and hands the head to the device's host when the device is free.
#pragma once

#include "actors/actors.hpp"

#include <deque>

namespace tmx {

struct device_state {
  static inline const char* name = "device";
  std::string serial;
  task_manager_actor manager;
  device_host_actor host; // invalid while never attached
  std::string node;
  bool online = false;
  std::deque<task_id> queue;
  task_id running = 0;   // the task handed to the host (or being started)
  bool starting = false; // waiting for the manager to mark `running` started
};

device_actor::behavior_type
device(device_actor::stateful_pointer<device_state> self, std::string serial,
       task_manager_actor manager);

} // namespace tmx

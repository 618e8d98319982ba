// The device actor: one per serial, in the server. Reads the device's FIFO
// queue from the store a slice at a time (the pending tasks stay there) and
// hands its first startable task to the device's host when the device is
// free: a task that runs as an account waits while that account
// runs elsewhere, without holding up the tasks behind it; with a device
// limit the device also waits for a slot. Its host says when it is usable
// (a phone unplugged or unauthorised is offline, and its run fails).
#pragma once

#include "actors/actors.hpp"

#include <deque>

namespace tmx {

/// What the device is doing about its next run.
enum class device_phase : uint8_t {
  idle,          // nothing asked of anyone
  awaiting_slot, // asked the limiter for a slot (device limit)
  probing,       // asking an account whether a queued task may start
  starting,      // the manager is writing the start of `running`
  running,       // `running` is on the host
};

struct queued_task {
  task_id id = 0;
  uint64_t seq = 0;      // its queue_seq
  account_actor account; // invalid when the task runs as no account
};

/// The device holds at most this many of its queue's tasks (the rest stay
/// in the store) and reads more when fewer than queue_low_water are left.
constexpr size_t queue_window = 64;
constexpr size_t queue_low_water = 16;

struct device_state {
  static inline const char* name = "device";
  std::string serial;
  task_manager_actor manager;
  store_actor db;         // where its device.updated events are written
  std::string announced;  // what the last device.updated said of its host
  limiter_actor limiter;  // invalid when devices are not capped
  device_host_actor host; // invalid while never attached
  std::string node;
  bool online = false;
  device_desc desc;                // as its host last described it
  std::vector<std::string> groups; // the device groups holding it, by name
  millis last_seen = 0;            // last time its host reported it usable
  /// The next due tasks of its queue, read from the store (through the
  /// manager) or told by the manager, in queue order.
  std::deque<queued_task> queue;
  uint64_t cursor = 0;  // the highest queue_seq read or told
  uint64_t told = 0;    // the highest queue_seq the manager told of
  bool unread = true;   // the store may hold due tasks after `cursor`
  bool reading = false; // a read of the queue is on its way
  task_id running = 0;  // the task handed to the host (or being started;
                        // 0 when it was cancelled meanwhile)
  account_actor running_account;
  device_phase phase = device_phase::idle;
  bool has_slot = false; // holds one of the limiter's slots
};

device_actor::behavior_type
device(device_actor::stateful_pointer<device_state> self, std::string serial,
       task_manager_actor manager, limiter_actor limiter, store_actor db);

} // namespace tmx

// Webhooks: receivers that get each matching event POSTed, signed, at
// least once and in order. The registration and the record of attempts as
// plain data.
#pragma once

#include "model/event.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tmx {

struct webhook {
  uint64_t id = 0; // from 1, assigned by the store
  std::string url;
  std::vector<event_type> events; // the types it receives
  std::string secret;             // HMAC-SHA256 key; never shown again
  millis created_at = 0;
  /// Every event up to this id is delivered, or given up after 24 h, or
  /// not one of `events`: the sender goes on after it.
  uint64_t cursor = 0;
};

/// One POST of one event to one webhook, as GET .../deliveries shows it.
struct delivery_attempt {
  uint64_t event_id = 0;
  event_type type = event_type::task_created;
  uint32_t attempt = 1; // 1 for the first POST of this event
  int status = 0;       // the HTTP status; 0 = none (connection failed)
  std::string error;    // "" when delivered
  millis at = 0;
};

} // namespace tmx

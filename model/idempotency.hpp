// The record behind a client's Idempotency-Key: what a repeated create
// must match, and the ids it answers with. Plain data, no actors, no I/O.
#pragma once

#include "model/task.hpp"

#include <string>
#include <vector>

namespace tmx {

/// Remembers the reply of a successful create for a client's
/// Idempotency-Key, so that a repeated request creates nothing.
struct idempotency_record {
  std::string key;
  std::string fingerprint; // digest of the request body
  std::vector<task_id> task_ids;
  millis created_at = 0;
};

} // namespace tmx

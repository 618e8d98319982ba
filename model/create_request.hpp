// Parsing and validation of the body of POST /api/v1/task: everything that
// can be decided without the server's state (devices, accounts).
#pragma once

#include "model/error.hpp"
#include "model/task.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tmx {

struct create_request {
  // Exactly one of these three is non-empty.
  std::vector<std::string> serials;   // device mode
  std::vector<std::string> usernames; // username mode
  std::vector<std::string> groups;    // group mode: device mode over the
                                      // groups' serials
  std::string script_name;
  bool multi_account = false; // device and group mode only
  millis start_at = 0;        // 0 = now (no start_time given)
  int min_interval = 0;       // minutes, 0 <= min <= max
  int max_interval = 0;
  /// One compact JSON object per fan-out unit, defaults applied: one entry
  /// for most scripts; for follow/unfollow one per target user, each with
  /// "target_users": [that target] and no "target_user"; for comment one
  /// per post URL, with "target_post_urls": [that URL] and no
  /// "target_post_url".
  std::vector<std::string> configs;
};

/// Parses `body` (a JSON object) at time `now`. On error returns the API
/// error (40001 naming the field and the rule, 40002 for a missing or empty
/// script_name, 40003 for an unavailable or unknown script) and leaves
/// `out` unspecified.
api_error parse_create_request(std::string_view body, millis now,
                               create_request& out);

/// A stable digest of a request body, for Idempotency-Key comparison.
std::string body_fingerprint(std::string_view body);

} // namespace tmx

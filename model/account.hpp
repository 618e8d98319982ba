// An account a task can run as: a username logged in on one device, for one
// platform. Plain data, no actors, no I/O.
#pragma once

#include <string>

namespace tmx {

struct account {
  std::string username; // exactly as given: "@a" and "a" differ
  std::string serial;
  std::string platform = "tiktok"; // "tiktok" | "instagram"
  bool enabled = true;
};

} // namespace tmx

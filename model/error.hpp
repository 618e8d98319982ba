// The domain's error codes and their one mapping to the API's {code, HTTP}.
#pragma once

#include <cstdint>
#include <string>

namespace tmx {

/// Values travel inside caf::error between actors (and nodes): never
/// renumber.
enum class ec : uint8_t {
  none = 0,
  invalid_params = 1,     // 40001
  missing_script = 2,     // 40002
  script_unavailable = 3, // 40003
  no_api_access = 4,      // 40301
  not_found = 5,          // 40401
  conflict = 6,           // 40901
  internal = 7,           // 50001
  unavailable = 8,        // 50301: overloaded or shutting down
  unauthorized = 9,       // 40101: no or a wrong API token
};

/// The API's numeric code for `e` (0 for none).
int api_code(ec e);

/// The HTTP status that carries `e`.
int http_status(ec e);

/// An error as the API reports it: a code and a message naming the field and
/// the rule. Converts to true when it is an error.
struct api_error {
  ec code = ec::none;
  std::string message;

  explicit operator bool() const { return code != ec::none; }
};

inline api_error invalid(std::string message) {
  return {ec::invalid_params, std::move(message)};
}

} // namespace tmx

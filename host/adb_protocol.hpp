// The adb server's wire format as plain functions: request framing, the
// device lists of host:track-devices-l, and the few shell answers tmx reads.
// No I/O here (see adb_client.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tmx::host {

/// One entry of the adb server's device list.
struct adb_device {
  std::string serial;
  std::string state; // "device", "unauthorized", "offline", "no permissions"
};

/// A service request: four hex digits of length, then the service name.
std::string adb_request(std::string_view service);

/// Reads four hex digits; false on anything else.
bool parse_hex_length(std::string_view four, size_t& out);

/// The devices of one list as host:devices-l or host:track-devices-l send
/// it ("SERIAL   STATE product:.. model:.. transport_id:N", one a line).
std::vector<adb_device> parse_device_list(std::string_view text);

/// What tmx shows as a device's state_reason for an adb state: "" for a
/// usable one ("device"), else the state itself ("unauthorized", ...).
std::string state_reason(std::string_view adb_state);

/// The level from `dumpsys battery` ("  level: 87"), -1 when absent.
int parse_battery_level(std::string_view dumpsys);

/// The first line of a getprop answer without its line end.
std::string first_line(std::string_view text);

} // namespace tmx::host

// A client of the adb server's TCP protocol (blocking, for threads that may
// block): one-shot device services (shell:, exec:) and the device tracker,
// which follows host:track-devices-l on its own thread.
#pragma once

#include "host/adb_protocol.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tmx::host {

/// Where the adb server listens.
struct adb_endpoint {
  std::string address = "127.0.0.1";
  uint16_t port = 5037;
};

/// Runs `service` ("shell:getprop ro.product.model", "exec:screencap -p")
/// on a device through host:transport:<serial> and reads its whole answer,
/// at most `max_bytes` (a longer one is an error). False and `error`
/// (adb's own words where it gave some) on failure; each step waits at most
/// `timeout`.
bool adb_device_service(
  const adb_endpoint& at, const std::string& serial, const std::string& service,
  std::string& output, std::string& error,
  std::chrono::milliseconds timeout = std::chrono::seconds(10),
  size_t max_bytes = 16u << 20);

/// Follows the adb server's device list: `changed` gets the whole list on
/// connect and on every change; `lost` once when the server cannot be
/// reached or goes away (then it reconnects with back-off, and `changed`
/// comes again once it is back). Callbacks come from the tracker's thread.
class device_tracker {
public:
  using changed_fn = std::function<void(std::vector<adb_device>)>;
  using lost_fn = std::function<void(std::string reason)>;

  device_tracker(
    adb_endpoint at, changed_fn changed, lost_fn lost,
    std::chrono::milliseconds backoff_min = std::chrono::milliseconds(100),
    std::chrono::milliseconds backoff_max = std::chrono::seconds(2));

  /// Stops following and joins the thread: no callback after it returns.
  ~device_tracker();

  device_tracker(const device_tracker&) = delete;
  device_tracker& operator=(const device_tracker&) = delete;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace tmx::host

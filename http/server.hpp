// The HTTP API server (RESTinio): parses and validates requests, hands them
// to the actors and answers when they reply. It never touches task state.
#pragma once

#include "actors/root.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace tmx {

struct license_options {
  std::string plan = "Pro"; // Starter | Pro | Team | Business
  int64_t device_limit = 0; // 0 = no cap
};

struct http_options {
  std::string address = "localhost"; // 127.0.0.1 and, where it exists, ::1
  uint16_t port = 50809;
  size_t threads = 2;
  size_t max_in_flight = 4096; // requests handled at once before 50301
  size_t max_connections = 10000;
  std::chrono::milliseconds idle_timeout{30000}; // read / write a message
  std::string token; // "" = no token needed (http.token)
  /// An event stream client with more events than this not yet written to
  /// its socket is cut off (events.max-unsent).
  size_t max_unsent_events = 10000;
  /// "" = the dashboard files embedded at build time; a directory = its
  /// files, read at each request (http.web-dir, for working on web/).
  std::string web_dir;
  license_options license;
};

/// Largest request body the API takes; a larger one is 40001 (HTTP 413).
constexpr size_t max_body_bytes = 1024 * 1024;

class http_server {
public:
  http_server(caf::actor_system& sys, server_handles handles,
              http_options opts);
  ~http_server();

  /// Binds and starts serving; throws std::exception when it cannot.
  void start();

  /// From now on answers 50301 to new requests, and waits (at most
  /// `deadline`) until the ones under way have replied.
  void drain(std::chrono::milliseconds deadline);

  /// Stops accepting connections and waits for the I/O threads to end.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tmx

// The agent's link to its server: connects to the server's cluster port,
// registers the local device host with the cluster secret, pings, and on
// losing the server ends every run and reconnects with back-off.
#pragma once

#include "actors/actors.hpp"

#include <caf/timespan.hpp>

namespace tmx {

struct connector_options {
  std::string address = "127.0.0.1";
  uint16_t port = 50810;
  std::string secret;
  std::string node;
  bool tls = false; // connect through CAF's OpenSSL module
  caf::timespan ping_interval = std::chrono::seconds(1);
  caf::timespan backoff_min = std::chrono::milliseconds(100);
  caf::timespan backoff_max = std::chrono::seconds(5);
};

struct connector_state {
  static inline const char* name = "connector";
  connector_options opts;
  device_host_actor host;
  gatekeeper_actor server; // invalid while not registered
  caf::timespan backoff{0};
  bool registered_all = false;
  bool pinging = false;
};

/// Terminates with an error when the server refuses the secret: retrying
/// cannot help, and a supervisor (systemd) should show the failure.
connector_actor::behavior_type
connector(connector_actor::stateful_pointer<connector_state> self,
          connector_options opts, device_host_actor host);

} // namespace tmx

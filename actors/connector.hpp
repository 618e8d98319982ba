// The agent's link to its server: connects to the server's cluster port,
// registers the local device host with the cluster secret, pings, and on
// losing the server (the connection broke, or pings went unanswered for
// the ping timeout) ends every run and reconnects with back-off.
#pragma once

#include "actors/actors.hpp"

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

namespace tmx {

struct connector_options {
  std::string address = "127.0.0.1";
  uint16_t port = 50810;
  std::string secret;
  std::string node;
  bool tls = false; // connect through CAF's OpenSSL module
  caf::timespan ping_interval = std::chrono::seconds(1);
  /// The server is lost when no ping was answered for this long.
  caf::timespan ping_timeout = std::chrono::seconds(3);
  /// How often the answers are judged: the loss is seen this soon after
  /// the ping timeout.
  caf::timespan judge_interval = std::chrono::milliseconds(250);
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
  /// Counts the servers lost: a reply meant for an earlier connection is
  /// dropped.
  uint64_t session = 0;
  caf::actor_clock::time_point last_answer; // of the server, to a ping
  caf::actor_clock::time_point next_ping;   // when to send the next one
  caf::actor_clock::time_point tick_due;    // when the pending tick should come
};

/// Terminates with an error when the server refuses the secret: retrying
/// cannot help, and a supervisor (systemd) should show the failure.
connector_actor::behavior_type
connector(connector_actor::stateful_pointer<connector_state> self,
          connector_options opts, device_host_actor host);

} // namespace tmx

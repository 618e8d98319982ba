// Ending the CAF connection to a peer node that stopped answering pings, so
// that both sides take the path of a broken connection: proxies die, down
// messages go out, and the peer sees the end as soon as it runs again.
#pragma once

#include "actors/actors.hpp"
#include "actors/timeouts.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/node_id.hpp>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>

namespace tmx {

/// Shuts down (both directions) every TCP socket of this process whose peer
/// is `address`:`port`; returns how many. CAF 0.17.6 has no call to close
/// the connection to a node, and its OpenSSL module cannot use heartbeats
/// (docs/decisions/0013-cluster-tls.md); the socket's end is what the
/// middleman sees when a peer goes, TLS or not.
size_t shut_down_sockets_to(const std::string& address, uint16_t port);

/// Asks the middleman where `peer` is connected and ends that connection.
/// Nothing happens when there is none any more (it broke meanwhile).
template <class Self>
void cut_link(Self* self, const caf::node_id& peer) {
  auto mm = self->home_system().middleman().actor_handle();
  self->request(mm, request_timeout, get_atom::value, peer)
    .then(
      [=](const caf::node_id&, const std::string& address, uint16_t port) {
        if (address.empty())
          return;
        if (shut_down_sockets_to(address, port) == 0)
          spdlog::warn("no open connection to {}:{} to end", address, port);
      },
      [](caf::error& err) {
        spdlog::warn("cannot end a cluster connection: {}", to_string(err));
      });
}

} // namespace tmx

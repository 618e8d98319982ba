// The cap on open HTTP connections (http.max-connections).
//
// RESTinio 0.6.16 has a connection limiter of its own, but it lives inside
// its acceptor while every connection keeps a raw pointer to it: a server
// stopped with connections still open (an idle keep-alive client, an event
// stream whose last write is pending) destroys them after the acceptor,
// when its io_context goes, and they write to freed memory (ASan:
// heap-use-after-free in decrement_parallel_connections). This gate keeps
// the count in an object that every connection co-owns instead, through
// RESTinio's documented extension points: its IP blocker refuses a
// connection beyond the cap (the socket is closed at once), its connection
// state listener counts one closed. See decision 0019.
#pragma once

#include <restinio/connection_state_listener.hpp>
#include <restinio/ip_blocker.hpp>

#include <atomic>
#include <cstddef>

namespace tmx {

class connection_gate {
public:
  explicit connection_gate(size_t max_open) : max_open_(max_open) {}

  /// RESTinio's IP blocker: called for each accepted socket.
  restinio::ip_blocker::inspection_result_t
  inspect(const restinio::ip_blocker::incoming_info_t&) noexcept {
    if (open_.fetch_add(1) >= max_open_) {
      open_.fetch_sub(1);
      return restinio::ip_blocker::deny();
    }
    return restinio::ip_blocker::allow();
  }

  /// RESTinio's connection state listener: every allowed connection is
  /// closed exactly once (RESTinio's close() tells it), however it ends.
  void state_changed(const restinio::connection_state::notice_t& notice) {
    if (restinio::holds_alternative<restinio::connection_state::closed_t>(
          notice.cause()))
      open_.fetch_sub(1);
  }

private:
  const size_t max_open_;
  std::atomic<size_t> open_{0};
};

} // namespace tmx

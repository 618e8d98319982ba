// HTTP API tests of connections: the http.max-connections cap (a
// connection beyond it is closed at once; a closed one frees its slot) and
// a server stopped while clients hold connections open, which must exit 0
// (under ASan this is where RESTinio's own limiter wrote to freed memory:
// http/connection_gate.hpp).
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

/// One raw TCP connection to the server, closed by its destructor.
class raw_connection {
public:
  explicit raw_connection(uint16_t port)
    : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd_ < 0
        || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to the server");
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  ~raw_connection() { ::close(fd_); }

  /// Sends a keep-alive GET and reads until the reply's headers are in;
  /// the HTTP status, or 0 when the server closed the connection instead.
  int get(const std::string& path) {
    auto request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) < 0)
      return 0;
    std::string in;
    while (in.find("\r\n\r\n") == std::string::npos) {
      if (!readable(10s))
        return 0;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        return 0;
      in.append(buf, static_cast<size_t>(n));
    }
    return in.compare(0, 9, "HTTP/1.1 ") == 0 ? std::stoi(in.substr(9, 3)) : -1;
  }

  /// Whether the server closes this connection (end of stream or reset)
  /// within `deadline`, without sending anything.
  bool closed_by_server(std::chrono::milliseconds deadline) {
    if (!readable(deadline))
      return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

private:
  bool readable(std::chrono::milliseconds deadline) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(deadline.count())) == 1;
  }

  int fd_;
};

} // namespace

BOOST_AUTO_TEST_CASE(connections_beyond_the_cap_are_closed_and_slots_return) {
  api_server srv(options{{"http.max-connections", "3"}});
  std::vector<std::unique_ptr<raw_connection>> held;
  // The readiness probe's connection holds its slot until the server has
  // read its end: a connection refused meanwhile is tried again.
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(wait_until(
      [&] {
        auto c = std::make_unique<raw_connection>(srv.port());
        if (c->get("/healthz") != 200)
          return false;
        held.push_back(std::move(c));
        return true;
      },
      10s));
  // The fourth: the kernel completes the handshake, the server closes it.
  raw_connection fourth(srv.port());
  BOOST_TEST(fourth.closed_by_server(10s));
  // The held ones are still served.
  BOOST_TEST(held.front()->get("/healthz") == 200);
  // One closed by its client gives its slot back (the server learns of it
  // when it reads the end of the stream: retried until then).
  held.pop_back();
  BOOST_TEST(wait_until(
    [&] {
      raw_connection again(srv.port());
      return again.get("/healthz") == 200;
    },
    10s));
}

BOOST_AUTO_TEST_CASE(a_server_with_open_connections_stops_cleanly) {
  api_server srv;
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 6; ++i) {
    held.push_back(std::make_unique<raw_connection>(srv.port()));
    if (i % 2 == 0) // half of them idle after a reply, half never asked
      BOOST_REQUIRE_EQUAL(held.back()->get("/api/v1/task/stats"), 200);
  }
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(srv.log().find("Sanitizer") == std::string::npos);
}

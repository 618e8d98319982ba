#include "actors/cut_link.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

namespace tmx {

namespace {

/// "a.b.c.d" for an IPv4-mapped IPv6 address, else the address as given.
std::string plain_ipv4(std::string address) {
  const std::string mapped = "::ffff:";
  if (address.rfind(mapped, 0) == 0 && address.find('.') != std::string::npos)
    address.erase(0, mapped.size());
  return address;
}

/// The peer of socket `fd` as (address, port); port 0 when it has none.
std::pair<std::string, uint16_t> peer_of(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
    return {"", 0};
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return {text, ntohs(in.sin_port)};
  }
  if (peer.ss_family == AF_INET6) {
    auto& in = reinterpret_cast<const sockaddr_in6&>(peer);
    ::inet_ntop(AF_INET6, &in.sin6_addr, text, sizeof text);
    return {plain_ipv4(text), ntohs(in.sin6_port)};
  }
  return {"", 0};
}

} // namespace

size_t shut_down_sockets_to(const std::string& address, uint16_t port) {
  auto wanted = plain_ipv4(address);
  size_t count = 0;
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr)
    return 0;
  while (auto* entry = ::readdir(fds)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    struct stat st {};
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(fds)
        || ::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode))
      continue;
    auto [peer, peer_port] = peer_of(static_cast<int>(fd));
    // The middleman keeps the socket and closes it once it has seen the
    // end; shutdown() only ends the connection.
    if (peer_port == port && peer == wanted
        && ::shutdown(static_cast<int>(fd), SHUT_RDWR) == 0)
      ++count;
  }
  ::closedir(fds);
  return count;
}

} // namespace tmx

// The adb server's TCP protocol over blocking sockets with deadlines (see
// adb_client.hpp). Every wait polls with a timeout, and the tracker also
// polls a wake-up pipe, so nothing here can hang its thread forever.
#include "host/adb_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace tmx::host {

namespace {

using std::chrono::milliseconds;

class socket_fd {
public:
  socket_fd() = default;
  explicit socket_fd(int fd) : fd_(fd) {}
  socket_fd(socket_fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  socket_fd& operator=(socket_fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~socket_fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_ = -1;
};

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

/// Waits until `fd` is ready for `events` (or `wake` is readable, which
/// counts as "stop"); false and `error` on timeout or stop.
bool wait_for(int fd, short events, milliseconds timeout, int wake,
              std::string& error) {
  pollfd fds[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, wake >= 0 ? 2 : 1,
                   timeout.count() < 0 ? -1
                                       : static_cast<int>(timeout.count()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      error = errno_text("poll");
      return false;
    }
    if (n == 0) {
      error = "adb server did not answer in time";
      return false;
    }
    if (wake >= 0 && fds[1].revents != 0) {
      error = "stopped";
      return false;
    }
    return true;
  }
}

bool connect_to(const adb_endpoint& at, milliseconds timeout, socket_fd& out,
                std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto port = std::to_string(at.port);
  if (int rc = ::getaddrinfo(at.address.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    error = std::string("adb server address: ") + ::gai_strerror(rc);
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found,
                                                             ::freeaddrinfo);
  error = "adb server unreachable";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    socket_fd s(::socket(ai->ai_family,
                         ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (s.get() < 0)
      continue;
    int rc = ::connect(s.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      error = errno_text("connect to adb server");
      continue;
    }
    if (rc != 0) {
      if (!wait_for(s.get(), POLLOUT, timeout, -1, error))
        continue;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        errno = so_error;
        error = errno_text("connect to adb server");
        continue;
      }
    }
    out = std::move(s);
    return true;
  }
  return false;
}

bool send_all(int fd, std::string_view data, milliseconds timeout,
              std::string& error) {
  while (!data.empty()) {
    auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, timeout, -1, error))
        return false;
      continue;
    }
    if (n < 0) {
      error = errno_text("write to adb server");
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

/// Reads exactly `n` bytes (or, with `to_end`, up to `n` bytes until the
/// server closes). `wake` >= 0 is polled too.
bool read_bytes(int fd, size_t n, bool to_end, milliseconds timeout, int wake,
                std::string& out, std::string& error) {
  out.clear();
  char buf[64 * 1024];
  while (out.size() < n) {
    auto got = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLIN, timeout, wake, error))
        return false;
      continue;
    }
    if (got < 0) {
      error = errno_text("read from adb server");
      return false;
    }
    if (got == 0) {
      if (to_end)
        return true;
      error = "adb server closed the connection";
      return false;
    }
    out.append(buf, static_cast<size_t>(got));
  }
  return true;
}

/// A block of four hex digits of length and then that many bytes.
bool read_block(int fd, milliseconds timeout, int wake, std::string& out,
                std::string& error) {
  std::string head;
  size_t n = 0;
  if (!read_bytes(fd, 4, false, timeout, wake, head, error))
    return false;
  if (!parse_hex_length(head, n)) {
    error = "adb server sent a malformed length";
    return false;
  }
  return read_bytes(fd, n, false, timeout, wake, out, error);
}

/// Sends a service request and reads OKAY, or FAIL and its message.
bool request(int fd, std::string_view service, milliseconds timeout,
             std::string& error) {
  std::string status;
  if (!send_all(fd, adb_request(service), timeout, error)
      || !read_bytes(fd, 4, false, timeout, -1, status, error))
    return false;
  if (status == "OKAY")
    return true;
  if (status == "FAIL") {
    std::string message;
    error = read_block(fd, timeout, -1, message, error) ? message
                                                        : "adb server refused";
    return false;
  }
  error = "adb server answered '" + status + "'";
  return false;
}

} // namespace

bool adb_device_service(const adb_endpoint& at, const std::string& serial,
                        const std::string& service, std::string& output,
                        std::string& error, milliseconds timeout,
                        size_t max_bytes) {
  socket_fd s;
  if (!(connect_to(at, timeout, s, error)
        && request(s.get(), "host:transport:" + serial, timeout, error)
        && request(s.get(), service, timeout, error)
        && read_bytes(s.get(), max_bytes + 1, true, timeout, -1, output,
                      error)))
    return false;
  // A cut answer (half a PNG) is worse than none.
  if (output.size() > max_bytes) {
    output.clear();
    error = "answer larger than " + std::to_string(max_bytes) + " bytes";
    return false;
  }
  return true;
}

struct device_tracker::impl {
  adb_endpoint at;
  changed_fn changed;
  lost_fn lost;
  milliseconds backoff_min;
  milliseconds backoff_max;
  int wake[2] = {-1, -1};
  std::thread thread;

  bool stopping() const {
    pollfd p{wake[0], POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  /// One connection, until it ends (`error` says why); true when the
  /// server answered with a list at least once.
  bool follow(std::string& error) {
    socket_fd s;
    if (!connect_to(at, backoff_max, s, error)
        || !request(s.get(), "host:track-devices-l", backoff_max, error))
      return false;
    std::string list;
    bool answered = false;
    // The list comes at once and then on every change, maybe never again.
    while (read_block(s.get(), milliseconds(-1), wake[0], list, error)) {
      answered = true;
      changed(parse_device_list(list));
    }
    return answered;
  }

  void run() {
    auto backoff = backoff_min;
    bool reported = false; // the current loss was told already
    while (!stopping()) {
      std::string error;
      if (follow(error)) {
        // It answered: maybe only this connection dropped. Try once more
        // (after a breath) before calling the server lost.
        reported = false;
        backoff = backoff_min;
        pollfd p{wake[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(backoff.count())) > 0)
          return;
        continue;
      }
      if (stopping())
        return;
      if (!reported)
        lost(error);
      reported = true;
      pollfd p{wake[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(backoff.count())) > 0)
        return;
      backoff = std::min(backoff * 2, backoff_max);
    }
  }
};

device_tracker::device_tracker(adb_endpoint at, changed_fn changed,
                               lost_fn lost, milliseconds backoff_min,
                               milliseconds backoff_max)
  : impl_(std::make_unique<impl>()) {
  impl_->at = std::move(at);
  impl_->changed = std::move(changed);
  impl_->lost = std::move(lost);
  impl_->backoff_min = backoff_min;
  impl_->backoff_max = backoff_max;
  if (::pipe2(impl_->wake, O_CLOEXEC) != 0)
    throw std::runtime_error(errno_text("pipe"));
  impl_->thread = std::thread([p = impl_.get()] { p->run(); });
}

device_tracker::~device_tracker() {
  char one = 1;
  [[maybe_unused]] auto n = ::write(impl_->wake[1], &one, 1);
  impl_->thread.join();
  ::close(impl_->wake[0]);
  ::close(impl_->wake[1]);
}

} // namespace tmx::host

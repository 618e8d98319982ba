// cpp-httplib under a webhook sender (see webhook_client.hpp).
#include "actors/webhook_client.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tmx {

namespace {

using steady = std::chrono::steady_clock;

/// What httplib's error means to whoever reads the deliveries.
std::string describe(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::ConnectionTimeout: return "connect timed out";
    case httplib::Error::Read: return "no answer (read failed or timed out)";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::Canceled: return "no answer in time";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "TLS: cannot load CA certs";
    case httplib::Error::SSLServerVerification:
      return "TLS: server certificate not trusted";
    default: return "request failed (" + httplib::to_string(err) + ")";
  }
}

} // namespace

webhook_client::webhook_client(const webhook_url& url,
                               std::chrono::milliseconds timeout)
  : target_(url.target), timeout_(timeout) {
  if (url.https)
    http_ = std::make_unique<httplib::SSLClient>(url.host, url.port);
  else
    http_ = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  http_->set_keep_alive(true);
  http_->set_tcp_nodelay(true); // headers and body go in two writes
  http_->set_follow_location(false);
  http_->set_url_encode(false); // the url is ASCII, sent as registered
  http_->set_connection_timeout(timeout);
  http_->set_read_timeout(timeout);
  http_->set_write_timeout(timeout);
  http_->set_socket_options([this](int fd) { connecting(fd); });
}

webhook_client::~webhook_client() {
  std::lock_guard<std::mutex> guard(mutex_);
  if (socket_dup_ >= 0)
    ::close(socket_dup_);
}

void webhook_client::connecting(int fd) {
  std::lock_guard<std::mutex> guard(mutex_);
  if (socket_dup_ >= 0)
    ::close(socket_dup_);
  socket_dup_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (stopped_ && socket_dup_ >= 0)
    ::shutdown(socket_dup_, SHUT_RDWR);
}

void webhook_client::forget_closed() {
  if (http_->is_socket_open())
    return;
  std::lock_guard<std::mutex> guard(mutex_);
  if (socket_dup_ >= 0)
    ::close(socket_dup_);
  socket_dup_ = -1;
}

void webhook_client::stop() {
  // Not httplib's stop(): it takes a lock that httplib holds for a whole
  // connect. A socket shut down fails its connect (SYN_SENT) or its read
  // or write at once; the descriptor stays httplib's to close.
  std::lock_guard<std::mutex> guard(mutex_);
  stopped_ = true;
  if (socket_dup_ >= 0)
    ::shutdown(socket_dup_, SHUT_RDWR);
}

post_outcome webhook_client::post(const std::string& body,
                                  const std::string& type, uint64_t event_id,
                                  const std::string& signature) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (stopped_)
      return {0, "stopped"};
  }
  auto deadline = steady::now() + timeout_;
  auto in_time = [deadline] { return steady::now() <= deadline; };
  httplib::Request req;
  req.method = "POST";
  req.path = target_;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Tmx-Event", type},
                 {"X-Tmx-Delivery", std::to_string(event_id)},
                 {"X-Tmx-Signature", signature},
                 {"User-Agent", "tmx-webhook"}};
  req.body = body;
  // A receiver that trickles its answer still has `timeout` in all.
  req.response_handler = [&](const httplib::Response&) { return in_time(); };
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
    return in_time(); // the answer's body is of no interest
  };
  auto res = http_->send(req);
  forget_closed();
  if (!res)
    return {0, describe(res.error())};
  post_outcome out{res->status, ""};
  if (!out.delivered())
    out.error = "HTTP " + std::to_string(res->status);
  return out;
}

} // namespace tmx

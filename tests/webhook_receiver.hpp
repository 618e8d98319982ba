// A webhook receiver for the black-box tests: a cpp-httplib server on a
// port of its own on 127.0.0.1, on its own thread, that records every POST
// (headers, body, when) and answers as the test says: a status, a script
// of statuses, or no answer at all until the test lets go.
#pragma once

#include "tests/server_process.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tmx::test {

/// One POST as the receiver got it.
struct delivery {
  std::string path; // with the query
  std::string body;
  std::string event;     // X-Tmx-Event
  std::string signature; // X-Tmx-Signature
  std::string content_type;
  uint64_t id = 0; // X-Tmx-Delivery (0: missing or not a number)
  int answered = 0;
  steady::time_point at;

  std::string type() const { return text_of(member(parse_json(body), "type")); }

  uint64_t task() const {
    return id_of(member(member(parse_json(body), "task"), "id"));
  }
};

/// "sha256=" and the lowercase hex HMAC-SHA256 of `body`: computed here
/// with OpenSSL directly, not with the server's code.
inline std::string expected_signature(const std::string& secret,
                                      const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &size);
  std::string out = "sha256=";
  char hex[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

class webhook_receiver {
public:
  webhook_receiver() {
    server_.Post(".*", [this](const httplib::Request& req,
                              httplib::Response& res) { handle(req, res); });
    // Short keep-alive: the end of the test does not wait for idle
    // connections of the server under test.
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
      throw std::runtime_error("the webhook receiver cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~webhook_receiver() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      closing_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }

  webhook_receiver(const webhook_receiver&) = delete;
  webhook_receiver& operator=(const webhook_receiver&) = delete;

  std::string url(const std::string& target = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }

  /// Every later POST gets `status` (unless a script says otherwise).
  void answer(int status) {
    std::lock_guard<std::mutex> guard(mutex_);
    status_ = status;
  }

  /// The next POSTs get these statuses, one each, then answer()'s.
  void answer_next(const std::vector<int>& statuses) {
    std::lock_guard<std::mutex> guard(mutex_);
    script_.insert(script_.end(), statuses.begin(), statuses.end());
  }

  /// While on, every POST is held unanswered (until off, or the end).
  void hang(bool on) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      hang_ = on;
    }
    released_.notify_all();
  }

  /// POSTs held unanswered at present.
  size_t hanging() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return held_;
  }

  /// Every POST answered so far, in the order of the answers.
  std::vector<delivery> all() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return got_;
  }

  /// Those answered 2xx.
  std::vector<delivery> accepted() const {
    std::vector<delivery> out;
    for (auto& d : all())
      if (d.answered >= 200 && d.answered < 300)
        out.push_back(d);
    return out;
  }

private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    delivery d;
    d.path = req.target;
    d.body = req.body;
    d.event = req.get_header_value("X-Tmx-Event");
    d.signature = req.get_header_value("X-Tmx-Signature");
    d.content_type = req.get_header_value("Content-Type");
    auto id = req.get_header_value("X-Tmx-Delivery");
    d.id = id.find_first_not_of("0123456789") == std::string::npos
               && !id.empty()
             ? std::stoull(id)
             : 0;
    std::unique_lock<std::mutex> lock(mutex_);
    ++held_;
    released_.wait(lock, [this] { return !hang_ || closing_; });
    --held_;
    if (closing_) {
      res.status = 503;
      return;
    }
    if (!script_.empty()) {
      d.answered = script_.front();
      script_.pop_front();
    } else {
      d.answered = status_;
    }
    d.at = steady::now();
    res.status = d.answered;
    res.set_content("ok", "text/plain");
    got_.push_back(std::move(d));
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  int status_ = 200;
  std::deque<int> script_;
  bool hang_ = false;
  bool closing_ = false;
  size_t held_ = 0;
  std::vector<delivery> got_;
};

/// A port on 127.0.0.1 whose listen backlog is full: Linux drops the SYNs
/// of further connects, which hang until their timeout (a receiver that
/// is not even reachable).
class full_backlog {
public:
  full_backlog() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0
        || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0
        || ::listen(listener_, 0) != 0
        || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len)
             != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < 3; ++i) { // never accepted
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
      fillers_.push_back(fd);
    }
  }

  ~full_backlog() {
    for (int fd : fillers_)
      ::close(fd);
    ::close(listener_);
  }

  full_backlog(const full_backlog&) = delete;
  full_backlog& operator=(const full_backlog&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/unreachable";
  }

private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

} // namespace tmx::test

// One webhook's HTTP(S) connection: POSTs a signed event and says how it
// went. Plain code (cpp-httplib), used by the sender's thread; stop() may
// be called from any thread, never waits, and ends a POST under way at
// once, its connect included, so that no delete or shutdown waits for a
// dead receiver (a name still being resolved excepted).
#pragma once

#include "model/webhook_request.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class ClientImpl;
}

namespace tmx {

/// What one POST got: the HTTP status (0: none) and, unless it is 2xx,
/// why it did not deliver.
struct post_outcome {
  int status = 0;
  std::string error;

  bool delivered() const { return status >= 200 && status < 300; }
};

class webhook_client {
public:
  /// `timeout` bounds the connect, each read and write, and the time until
  /// the answer's headers and body are in.
  webhook_client(const webhook_url& url, std::chrono::milliseconds timeout);
  ~webhook_client();

  webhook_client(const webhook_client&) = delete;
  webhook_client& operator=(const webhook_client&) = delete;

  /// POSTs `body` (application/json) with the webhook headers of `event`.
  post_outcome post(const std::string& body, const std::string& type,
                    uint64_t event_id, const std::string& signature);

  /// Ends the POST under way, and every later one fails at once.
  void stop();

private:
  /// httplib made a new socket (before its connect): a dup of it is ours,
  /// the handle that ends a connect or a request from another thread.
  void connecting(int fd);
  /// Forgets the dup once httplib has closed its socket, so that it does
  /// not keep the connection open.
  void forget_closed();

  std::string target_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<httplib::ClientImpl> http_;
  std::mutex mutex_;
  int socket_dup_ = -1; // of httplib's current socket, or -1
  bool stopped_ = false;
};

} // namespace tmx

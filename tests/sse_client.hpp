// A server-sent event client for the black-box tests: one GET of
// /api/v1/events on its own thread, the messages it has read so far, and a
// way to end it.
#pragma once

#include "tests/server_process.hpp"

#include <atomic>
#include <mutex>

namespace tmx::test {

struct sse_message {
  std::string id;    // "" when the message has none
  std::string event; // "" = "message"
  std::string data;
};

class sse_client {
public:
  /// Connects at once; `last_event_id` "" sends no Last-Event-ID.
  sse_client(uint16_t port, std::string query = "",
             std::string last_event_id = "")
    : cli_("127.0.0.1", port) {
    cli_.set_read_timeout(60s);
    httplib::Headers h;
    if (!last_event_id.empty())
      h.emplace("Last-Event-ID", last_event_id);
    std::string path = "/api/v1/events" + query;
    thread_ = std::thread([this, path, h] {
      auto res = cli_.Get(
        path.c_str(), h,
        [this](const httplib::Response& r) {
          status_ = r.status;
          return true;
        },
        [this](const char* data, size_t n) {
          feed(std::string_view(data, n));
          return !stopping_;
        });
      ended_cleanly_ = static_cast<bool>(res);
      ended_ = true;
    });
  }

  ~sse_client() { stop(); }

  void stop() {
    stopping_ = true;
    cli_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  int status() const { return status_; }
  bool ended() const { return ended_; }
  /// The response ended as HTTP says a chunked response ends.
  bool ended_cleanly() const { return ended_cleanly_; }

  size_t comments() const {
    std::lock_guard<std::mutex> g{mutex_};
    return comments_;
  }

  /// The messages read so far, `event`/`id`/`data` as text.
  std::vector<std::tuple<std::string, std::string, std::string>>
  messages() const {
    std::lock_guard<std::mutex> g{mutex_};
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (auto& m : messages_)
      out.emplace_back(m.event, m.id, m.data);
    return out;
  }

  size_t count() const {
    std::lock_guard<std::mutex> g{mutex_};
    return messages_.size();
  }

  /// Waits until at least `n` messages were read.
  bool wait_for(size_t n, steady::duration deadline = 20s) const {
    return wait_until([&] { return count() >= n; }, deadline);
  }

private:
  void feed(std::string_view chunk) {
    std::lock_guard<std::mutex> g{mutex_};
    buffer_.append(chunk);
    for (size_t end; (end = buffer_.find("\n\n")) != std::string::npos;) {
      auto block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      sse_message m;
      bool any = false;
      std::istringstream lines(block);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] == ':') {
          ++comments_;
          continue;
        }
        auto colon = line.find(':');
        auto field = line.substr(0, colon);
        auto value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ')
          value.erase(0, 1);
        any = true;
        if (field == "id")
          m.id = value;
        else if (field == "event")
          m.event = value;
        else if (field == "data")
          m.data += (m.data.empty() ? "" : "\n") + value;
      }
      if (any)
        messages_.push_back(std::move(m));
    }
  }

  httplib::Client cli_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> ended_cleanly_{false};
  std::atomic<int> status_{0};
  mutable std::mutex mutex_;
  std::string buffer_;
  std::vector<sse_message> messages_;
  size_t comments_ = 0;
};

} // namespace tmx::test

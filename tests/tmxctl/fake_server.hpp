// An HTTP server inside the test process (cpp-httplib) for what a real
// tmx-server cannot be made to do on cue: answer as an older server with
// no /api/v1/events, or cut an event stream off in the middle of an event.
#pragma once

#include "tests/server_process.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tmx::test {

class fake_server {
public:
  /// What one GET /api/v1/events connection writes: its pieces in order,
  /// each flushed as a chunk of its own; then the connection is cut
  /// (`cut`) or held open until the fake ends.
  struct stream_script {
    std::vector<std::string> pieces;
    bool cut = false;
  };

  fake_server() { http_.bind_to_port("127.0.0.1", port_); }

  ~fake_server() {
    ending_ = true;
    http_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  httplib::Server& http() { return http_; }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  /// Serves from now on (bound already: connections wait in the backlog).
  void start() {
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }

  /// Answers the API's reads of `watch` with an empty farm, and
  /// /api/v1/events with the 404 of a server that has no such route.
  void act_as_older_server() {
    auto reply = [](const char* data) {
      return
        [body = std::string("{\"code\":0,\"message\":\"success\",\"data\":")
                + data + "}"](const httplib::Request&, httplib::Response& res) {
          res.set_content(body, "application/json");
        };
    };
    http_.Get("/api/v1/task/stats",
              reply("{\"total\":0,\"pending\":0,\"running\":0,"
                    "\"completed\":0,\"failed\":0}"));
    http_.Get("/api/v1/task",
              reply("{\"tasks\":[],\"total\":0,\"page\":1,\"page_size\":100}"));
    http_.Get("/api/v1/device", reply("{\"devices\":[]}"));
    http_.Get("/api/v1/events", [this](const httplib::Request& req,
                                       httplib::Response& res) {
      record(req);
      res.status = 404;
      res.set_content(R"({"code":40401,"message":"no such route","data":null})",
                      "application/json");
    });
  }

  /// Serves /api/v1/events connection by connection from `scripts` (a
  /// connection beyond them gets a 503).
  void stream_events(std::vector<stream_script> scripts) {
    scripts_ = std::move(scripts);
    http_.Get("/api/v1/events",
              [this](const httplib::Request& req, httplib::Response& res) {
                auto n = record(req);
                if (n >= scripts_.size()) {
                  res.status = 503;
                  return;
                }
                res.set_chunked_content_provider(
                  "text/event-stream",
                  [this, script = scripts_[n],
                   next = size_t{0}](size_t, httplib::DataSink& sink) mutable {
                    if (next < script.pieces.size()) {
                      auto& piece = script.pieces[next++];
                      return sink.write(piece.data(), piece.size());
                    }
                    if (script.cut)
                      return false; // no last chunk: the stream breaks off
                    while (!ending_)
                      std::this_thread::sleep_for(10ms);
                    return false;
                  });
              });
  }

  /// The Last-Event-ID header of each events request so far ("" without).
  std::vector<std::string> last_event_ids() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return last_ids_;
  }

private:
  size_t record(const httplib::Request& req) {
    std::lock_guard<std::mutex> guard{mutex_};
    last_ids_.push_back(req.get_header_value("Last-Event-ID"));
    return last_ids_.size() - 1;
  }

  uint16_t port_ = free_port();
  httplib::Server http_;
  std::thread thread_;
  std::atomic<bool> ending_{false};
  std::vector<stream_script> scripts_;
  mutable std::mutex mutex_;
  std::vector<std::string> last_ids_;
};

} // namespace tmx::test

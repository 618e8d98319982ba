// An exchange (http/exchange.hpp) over a RESTinio request, for
// http/server.cpp: the replies, the in-flight count, and for GET /metrics
// the route, status and duration of every request answered.
#pragma once

#include "http/exchange.hpp"

#include <restinio/http_headers.hpp>
#include <restinio/request_handler.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace tmx {

inline std::string_view view(restinio::string_view_t s) {
  return {s.data(), s.size()};
}

/// How many routed requests are being handled: each exchange counts itself
/// from its creation until the last actor that holds it lets go.
using in_flight_counter = std::shared_ptr<std::atomic<size_t>>;

/// The route label of a request that no route took: 404, 405, and what the
/// checks before the routes refuse (token, body size, overload).
constexpr const char* unmatched_route = "unmatched";

class restinio_exchange final : public exchange {
public:
  /// `route` is the route pattern in the metrics' form
  /// ("/api/v1/task/{task_id}", http/paths.hpp route_label).
  explicit restinio_exchange(restinio::request_handle_t req,
                             in_flight_counter count = nullptr,
                             std::string route = unmatched_route);

  ~restinio_exchange() override;

  std::string_view body() const override;

  std::optional<std::string_view> header(std::string_view name) const override;

  std::optional<query_lookup> query() const override;

  void reply(int http, std::string json) override;

  void reply_png(std::string png) override;

  void reply_text(int http, std::string text) override;

  void reply_metrics(std::string text) override;

private:
  /// Sends the response and counts it (tmx_http_requests_total, ..._seconds).
  void respond(restinio::http_status_line_t status, const char* content_type,
               std::string body, bool no_store);

  restinio::request_handle_t req_;
  in_flight_counter count_;
  std::string route_;
  std::chrono::steady_clock::time_point started_
    = std::chrono::steady_clock::now();
};

/// Counts a response that http/server.cpp sends itself, begun at `started`.
void count_response(int http, std::chrono::steady_clock::time_point started);

struct web_file;

/// Answers a GET with a dashboard file: 304 when the client's
/// If-None-Match holds its ETag, gzip when Accept-Encoding takes it,
/// `Cache-Control: no-cache` (always revalidated: the names carry no
/// version) and the dashboard's Content-Security-Policy.
void reply_web_file(const restinio::request_handle_t& req, const web_file& f);

} // namespace tmx

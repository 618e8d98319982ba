#include "http/restinio_exchange.hpp"

#include "http/query_string.hpp"
#include "http/web_files.hpp"
#include "metrics/metrics.hpp"

#include <restinio/all.hpp>

namespace tmx {

namespace {

double seconds_since(std::chrono::steady_clock::time_point started) {
  std::chrono::duration<double> d = std::chrono::steady_clock::now() - started;
  return d.count();
}

/// `http` with no reason phrase, as the API always answered.
restinio::http_status_line_t status_of(int http) {
  return {restinio::http_status_code_t{static_cast<uint16_t>(http)}, ""};
}

} // namespace

restinio_exchange::restinio_exchange(restinio::request_handle_t req,
                                     in_flight_counter count, std::string route)
  : req_(std::move(req)), count_(std::move(count)), route_(std::move(route)) {
  if (count_)
    ++*count_;
}

restinio_exchange::~restinio_exchange() {
  if (count_)
    --*count_;
}

std::string_view restinio_exchange::body() const {
  return req_->body();
}

std::optional<std::string_view>
restinio_exchange::header(std::string_view name) const {
  if (auto v = req_->header().opt_value_of({name.data(), name.size()}))
    return view(*v);
  return std::nullopt;
}

std::optional<query_lookup> restinio_exchange::query() const {
  return parse_query_string(view(req_->header().query()));
}

void restinio_exchange::reply(int http, std::string json) {
  respond(status_of(http), "application/json; charset=utf-8", std::move(json),
          false);
}

void restinio_exchange::reply_png(std::string png) {
  respond(restinio::status_ok(), "image/png", std::move(png), true);
}

void restinio_exchange::reply_text(int http, std::string text) {
  respond(status_of(http), "text/plain; charset=utf-8", std::move(text), true);
}

void restinio_exchange::reply_metrics(std::string text) {
  respond(status_of(200), "text/plain; version=0.0.4; charset=utf-8",
          std::move(text), true);
}

void restinio_exchange::respond(restinio::http_status_line_t status,
                                const char* content_type, std::string body,
                                bool no_store) {
  int http = status.status_code().raw_code();
  auto response = req_->create_response(std::move(status));
  response.append_header(restinio::http_field::content_type, content_type);
  if (no_store)
    response.append_header(restinio::http_field::cache_control, "no-store");
  response.set_body(std::move(body));
  // Counted before it is sent: a client that has the reply finds it in
  // the next scrape.
  metrics::observe_http(route_, http, seconds_since(started_));
  response.done();
}

void count_response(int http, std::chrono::steady_clock::time_point started) {
  metrics::observe_http(unmatched_route, http, seconds_since(started));
}

void reply_web_file(const restinio::request_handle_t& req, const web_file& f) {
  auto started = std::chrono::steady_clock::now();
  const auto& h = req->header();
  auto match = h.opt_value_of(restinio::http_field::if_none_match);
  bool fresh = match && etag_matches(view(*match), f.etag);
  auto encodings = h.opt_value_of(restinio::http_field::accept_encoding);
  bool zipped = !f.gzipped.empty() && encodings
                && accepts_gzip(view(*encodings));
  auto response = req->create_response(fresh ? restinio::status_not_modified()
                                             : restinio::status_ok());
  response.append_header(restinio::http_field::etag, f.etag)
    .append_header(restinio::http_field::cache_control, "no-cache")
    .append_header("X-Content-Type-Options", "nosniff")
    .append_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: blob:; "
                   "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  if (!f.gzipped.empty())
    response.append_header(restinio::http_field::vary, "Accept-Encoding");
  if (!fresh) {
    response.append_header(restinio::http_field::content_type, f.content_type);
    if (zipped)
      response.append_header(restinio::http_field::content_encoding, "gzip");
    response.set_body(zipped ? f.gzipped : f.body);
  }
  int http = fresh ? 304 : 200;
  metrics::observe_http("/{file}", http, seconds_since(started));
  response.done();
}

} // namespace tmx

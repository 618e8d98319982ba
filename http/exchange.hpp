// One HTTP request and its reply as the endpoints see them: no RESTinio
// type, so that the endpoints compile (and could be driven) without it.
// The server implements it over a RESTinio request handle.
#pragma once

#include "model/error.hpp"
#include "model/request_parsing.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tmx {

/// A path parameter as written and percent-decoded (nullopt: the text is
/// not valid percent-encoding). Empty on a path without a parameter.
struct path_param {
  std::string_view raw;
  std::optional<std::string> decoded;
};

class exchange {
public:
  virtual ~exchange() = default;

  virtual std::string_view body() const = 0;

  /// The value of the header `name`; nullopt when the request has none.
  virtual std::optional<std::string_view>
  header(std::string_view name) const = 0;

  /// The parameters of the query string, percent-decoded; nullopt when
  /// the query string cannot be read.
  virtual std::optional<query_lookup> query() const = 0;

  /// Answers with `json` (an envelope) and the HTTP status `http`.
  virtual void reply(int http, std::string json) = 0;

  /// Answers 200 with a PNG image that no cache may keep.
  virtual void reply_png(std::string png) = 0;

  /// Answers with plain text (the health checks, which are no envelope).
  virtual void reply_text(int http, std::string text) = 0;

  /// Answers 200 with the Prometheus text format, version 0.0.4
  /// (GET /metrics), that no cache may keep.
  virtual void reply_metrics(std::string text) = 0;

  void reply_ok(std::string json) { reply(200, std::move(json)); }

  /// The error envelope, with the HTTP status of its code unless `http`
  /// says otherwise.
  void reply_error(const api_error& err, int http = 0);
};

/// Shared: the actor that answers a request keeps it until it replies.
using exchange_ptr = std::shared_ptr<exchange>;

} // namespace tmx

// The tmx HTTP API as tmxctl uses it: one request, the {code, message,
// data} envelope unpacked, and small helpers to read the JSON it carries.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace tmxctl {

/// The reply to one request. `code` is the API's code (0 = success); a
/// reply that never came, or is no tmx envelope, has code -1.
struct api_result {
  int code = -1;
  std::string message; // the server's, or what went wrong on the way
  rapidjson::Document envelope;

  bool ok() const { return code == 0; }

  /// The envelope's data (null on errors).
  const rapidjson::Value& data() const;

  /// "error 40401: task 99 not found", or the transport's failure.
  std::string error() const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// How a streaming GET ended.
struct stream_result {
  /// A 200 `text/event-stream` reply came and was read until it ended;
  /// `reply.message` then says how it ended.
  bool streamed = false;
  int status = 0;   // the HTTP status; 0 when no reply came
  api_result reply; // not streamed: what the server said (or why none came)
};

/// Gets the bytes of a stream as they arrive; false ends the request.
using byte_receiver = std::function<bool(std::string_view bytes)>;

class api_client {
public:
  /// `url`: "http://host:port", optionally with a path prefix (a reverse
  /// proxy's); "host:port" means http. `timeout_s` bounds each request.
  /// `token`, when set, goes with every request as a bearer token.
  api_client(const std::string& url, double timeout_s,
             const std::string& token = "");
  ~api_client();

  /// False (and why) when `url` is not one tmxctl can talk to.
  bool valid(std::string& why) const;

  const std::string& url() const { return url_; }

  /// `path` below /api/v1, e.g. "/task?status=1".
  api_result get(const std::string& path);
  api_result post(const std::string& path, const std::string& body = "{}",
                  const header_list& headers = {});
  api_result del(const std::string& path, const std::string& body = {});

  /// GET `path` (below /api/v1) as a stream, on a connection of its own:
  /// `receive` gets the body of a 200 `text/event-stream` reply piece by
  /// piece; `opened`, when set, is called once that reply's headers came.
  /// A silence longer than `read_timeout_s` ends it. Blocks until the
  /// stream ends, `receive` returns false or stop_stream() is called.
  stream_result stream(const std::string& path, const header_list& headers,
                       double read_timeout_s,
                       const std::function<void()>& opened,
                       const byte_receiver& receive);

  /// Ends the stream being read now (from any thread): its connection is
  /// shut down. A stream not yet connected is not affected.
  void stop_stream();

private:
  api_result send(const char* method, const std::string& path,
                  const std::string& body, const header_list& headers);

  std::string url_;    // as given, for messages
  std::string prefix_; // path prefix before /api/v1
  std::string problem_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<httplib::Client> stream_http_; // used by one thread only
};

/// "a b/c" → "a%20b%2Fc", for query values and path segments.
std::string url_encode(std::string_view s);

// -- reading the JSON of a reply ----------------------------------------------

/// Member `name` of `v`; a null value when `v` is no object or lacks it.
const rapidjson::Value& field(const rapidjson::Value& v, const char* name);

/// The items of an array (none when `v` is no array).
std::vector<const rapidjson::Value*> items(const rapidjson::Value& v);

/// A string as it is, a number or bool as JSON writes it, null as `none`.
std::string text(const rapidjson::Value& v, const char* none = "-");

/// The unsigned integer `v`, or `otherwise`.
uint64_t number(const rapidjson::Value& v, uint64_t otherwise = 0);

/// Compact JSON text.
std::string json_text(const rapidjson::Value& v);

/// `s` as a JSON string, quoted and escaped.
std::string json_quote(const std::string& s);

} // namespace tmxctl

// The tmx HTTP API as tmxctl uses it: one request, the {code, message,
// data} envelope unpacked, and small helpers to read the JSON it carries.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
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

private:
  api_result send(const char* method, const std::string& path,
                  const std::string& body, const header_list& headers);

  std::string url_;    // as given, for messages
  std::string prefix_; // path prefix before /api/v1
  std::string problem_;
  std::unique_ptr<httplib::Client> http_;
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

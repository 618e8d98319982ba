// The HTTP client of tmxctl (see api.hpp), on cpp-httplib.
#include "tools/tmxctl/api.hpp"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

namespace tmxctl {

namespace {

constexpr std::string_view api_root = "/api/v1";

/// An error reply is an envelope: more than this is not one.
constexpr size_t max_error_body = 64 * 1024;

std::chrono::microseconds microseconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::duration<double>(seconds));
}

/// The reply of HTTP `status` with `body`, unpacked from its envelope.
api_result unpack(const std::string& url, int status, const std::string& body) {
  api_result out;
  out.envelope.Parse(body.data(), body.size());
  const auto& code = field(out.envelope, "code");
  if (out.envelope.HasParseError() || !code.IsInt()) {
    out.envelope.SetNull();
    out.message = "HTTP " + std::to_string(status) + " from " + url
                  + " is not a tmx reply";
    return out;
  }
  out.code = code.GetInt();
  out.message = text(field(out.envelope, "message"), "");
  return out;
}

/// How a stream that was being read ended.
std::string ended_how(httplib::Error e) {
  switch (e) {
    case httplib::Error::Success: return "the server ended the stream";
    case httplib::Error::Canceled: return "stopped";
    case httplib::Error::Read:
      return "the connection was lost or stayed silent too long";
    default: return "the connection failed: " + httplib::to_string(e);
  }
}

} // namespace

const rapidjson::Value& api_result::data() const {
  return field(envelope, "data");
}

std::string api_result::error() const {
  if (code == -1)
    return message;
  return "error " + std::to_string(code) + ": " + message;
}

api_client::api_client(const std::string& url, double timeout_s,
                       const std::string& token)
  : url_(url) {
  auto base = url;
  if (base.find("://") == std::string::npos)
    base = "http://" + base;
  // scheme://host[:port] is the client's; the rest a prefix of every path.
  auto host_end = base.find('/', base.find("://") + 3);
  if (host_end != std::string::npos) {
    prefix_ = base.substr(host_end);
    base.resize(host_end);
  }
  while (!prefix_.empty() && prefix_.back() == '/')
    prefix_.pop_back();
  if (prefix_.size() >= api_root.size()
      && prefix_.compare(prefix_.size() - api_root.size(), api_root.size(),
                         api_root)
           == 0)
    prefix_.resize(prefix_.size() - api_root.size());
  try {
    http_ = std::make_unique<httplib::Client>(base);
  } catch (const std::exception&) {
    // An unknown scheme throws; other bad URLs make an invalid client.
  }
  if (!http_ || !http_->is_valid()) {
    problem_ = "not a URL tmxctl can use: " + url
               + " (expected http://host:port)";
    return;
  }
  stream_http_ = std::make_unique<httplib::Client>(base);
  for (auto* client : {http_.get(), stream_http_.get()}) {
    client->set_connection_timeout(microseconds(timeout_s));
    client->set_read_timeout(microseconds(timeout_s));
    client->set_write_timeout(microseconds(timeout_s));
    if (!token.empty())
      client->set_bearer_token_auth(token);
  }
}

api_client::~api_client() = default;

bool api_client::valid(std::string& why) const {
  why = problem_;
  return problem_.empty();
}

api_result api_client::get(const std::string& path) {
  return send("GET", path, {}, {});
}

api_result api_client::post(const std::string& path, const std::string& body,
                            const header_list& headers) {
  return send("POST", path, body, headers);
}

api_result api_client::del(const std::string& path, const std::string& body) {
  return send("DELETE", path, body, {});
}

api_result api_client::send(const char* method, const std::string& path,
                            const std::string& body,
                            const header_list& headers) {
  api_result out;
  if (!problem_.empty()) {
    out.message = problem_;
    return out;
  }
  httplib::Request req;
  req.method = method;
  req.path = prefix_ + std::string(api_root) + path;
  for (auto& [name, value] : headers)
    req.headers.emplace(name, value);
  if (!body.empty()) {
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
  }
  auto res = http_->send(req);
  if (!res) {
    out.message = "cannot reach " + url_ + ": "
                  + httplib::to_string(res.error());
    return out;
  }
  return unpack(url_, res->status, res->body);
}

stream_result api_client::stream(const std::string& path,
                                 const header_list& headers,
                                 double read_timeout_s,
                                 const std::function<void()>& opened,
                                 const byte_receiver& receive) {
  stream_result out;
  if (!problem_.empty()) {
    out.reply.message = problem_;
    return out;
  }
  httplib::Headers request_headers{{"Accept", "text/event-stream"}};
  for (auto& [name, value] : headers)
    request_headers.emplace(name, value);
  stream_http_->set_read_timeout(microseconds(read_timeout_s));
  std::string error_body;
  auto res = stream_http_->Get(
    prefix_ + std::string(api_root) + path, request_headers,
    [&](const httplib::Response& r) {
      out.status = r.status;
      out.streamed = r.status == 200
                     && r.get_header_value("Content-Type")
                            .rfind("text/event-stream", 0)
                          == 0;
      if (out.streamed && opened)
        opened();
      return true;
    },
    [&](const char* bytes, size_t n) {
      if (out.streamed)
        return receive(std::string_view(bytes, n));
      error_body.append(bytes, std::min(n, max_error_body - error_body.size()));
      return error_body.size() < max_error_body;
    });
  if (out.streamed) {
    out.reply.message = ended_how(res.error());
  } else if (out.status == 0) {
    out.reply.message = "cannot reach " + url_ + ": "
                        + httplib::to_string(res.error());
  } else {
    out.reply = unpack(url_, out.status, error_body);
    if (out.status == 200 && out.reply.ok()) {
      out.reply.code = -1;
      out.reply.message = "the reply of " + url_ + " is no event stream";
    }
  }
  return out;
}

void api_client::stop_stream() {
  if (stream_http_)
    stream_http_->stop();
}

std::string url_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// -- reading the JSON of a reply ----------------------------------------------

const rapidjson::Value& field(const rapidjson::Value& v, const char* name) {
  static const rapidjson::Value null_value;
  if (!v.IsObject())
    return null_value;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? null_value : it->value;
}

std::vector<const rapidjson::Value*> items(const rapidjson::Value& v) {
  std::vector<const rapidjson::Value*> out;
  if (v.IsArray())
    for (auto& item : v.GetArray())
      out.push_back(&item);
  return out;
}

std::string text(const rapidjson::Value& v, const char* none) {
  if (v.IsNull())
    return none;
  if (v.IsString())
    return {v.GetString(), v.GetStringLength()};
  return json_text(v);
}

uint64_t number(const rapidjson::Value& v, uint64_t otherwise) {
  return v.IsUint64() ? v.GetUint64() : otherwise;
}

std::string json_quote(const std::string& s) {
  return json_text(rapidjson::Value(rapidjson::StringRef(s.data(), s.size())));
}

std::string json_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

} // namespace tmxctl

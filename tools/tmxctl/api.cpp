// The HTTP client of tmxctl (see api.hpp), on cpp-httplib.
#include "tools/tmxctl/api.hpp"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

namespace tmxctl {

namespace {

constexpr std::string_view api_root = "/api/v1";

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
  auto timeout = std::chrono::duration<double>(timeout_s);
  auto span = std::chrono::duration_cast<std::chrono::microseconds>(timeout);
  http_->set_connection_timeout(span);
  http_->set_read_timeout(span);
  http_->set_write_timeout(span);
  if (!token.empty())
    http_->set_bearer_token_auth(token);
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
  out.envelope.Parse(res->body.data(), res->body.size());
  const auto& code = field(out.envelope, "code");
  if (out.envelope.HasParseError() || !code.IsInt()) {
    out.envelope.SetNull();
    out.message = "HTTP " + std::to_string(res->status) + " from " + url_
                  + " is not a tmx reply";
    return out;
  }
  out.code = code.GetInt();
  out.message = text(field(out.envelope, "message"), "");
  return out;
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

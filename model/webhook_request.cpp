// The registration body of a webhook and its url (see webhook_request.hpp).
#include "model/webhook_request.hpp"

#include "model/request_parsing.hpp"
#include "model/text.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>

namespace tmx {

namespace {

/// Sent as registered (no escaping on the way): printable ASCII only.
bool unprintable(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u >= 0x7f;
}

/// The host and port of an authority ("host", "host:8080", "[::1]:8080").
bool split_authority(std::string_view authority, bool https, webhook_url& out,
                     std::string& why) {
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "url has an unclosed '[' in its host";
      return false;
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        why = "url has text after its IPv6 host";
        return false;
      }
      port = rest.substr(1);
    }
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos) {
      why = "url has an invalid IPv6 host";
      return false;
    }
  } else if (auto colon = authority.rfind(':'); colon != authority.npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) {
      why = "url has an empty port";
      return false;
    }
  }
  if (host.empty()) {
    why = "url must name a host (http://host/...)";
    return false;
  }
  if (host.find_first_of("[]:") != host.npos && authority.front() != '[') {
    why = "url has an invalid host";
    return false;
  }
  out.port = https ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto end = port.data() + port.size();
    auto [ptr, err] = std::from_chars(port.data(), end, value);
    if (err != std::errc{} || ptr != end || value == 0 || value > 65535) {
      why = "url has an invalid port (1-65535)";
      return false;
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.host = std::string(host);
  return true;
}

} // namespace

std::optional<webhook_url> parse_webhook_url(std::string_view text,
                                             std::string& why) {
  webhook_url out;
  if (text.size() > max_webhook_url) {
    why = "url must be at most " + std::to_string(max_webhook_url)
          + " characters";
    return std::nullopt;
  }
  if (std::any_of(text.begin(), text.end(), unprintable)) {
    why = "url must be printable ASCII without blanks (percent-encode the "
          "others)";
    return std::nullopt;
  }
  std::string_view rest;
  if (starts_with_nocase(text, "https://")) {
    out.https = true;
    rest = text.substr(8);
  } else if (starts_with_nocase(text, "http://")) {
    rest = text.substr(7);
  } else {
    why = "url must start with http:// or https://";
    return std::nullopt;
  }
  if (rest.find('#') != rest.npos) {
    why = "url must not contain a fragment ('#')";
    return std::nullopt;
  }
  auto end = rest.find_first_of("/?");
  auto authority = rest.substr(0, end);
  if (authority.find('@') != authority.npos) {
    why = "url must not contain user info ('user@')";
    return std::nullopt;
  }
  if (!split_authority(authority, out.https, out, why))
    return std::nullopt;
  if (end != rest.npos) {
    out.target = std::string(rest.substr(end));
    if (out.target.front() == '?')
      out.target.insert(0, "/");
  }
  return out;
}

namespace {

using rapidjson::Value;

std::string type_names() {
  std::string out;
  for (auto t : all_event_types)
    out += (out.empty() ? "" : ", ") + std::string(to_string(t));
  return out;
}

api_error read_url(const Value& body, std::string& out) {
  const Value* v = body_field(body, "url");
  if (v == nullptr)
    return invalid("url is required");
  if (!v->IsString())
    return invalid("url must be a string");
  std::string why;
  std::string_view text(v->GetString(), v->GetStringLength());
  if (!parse_webhook_url(text, why))
    return invalid(why);
  out = std::string(text);
  return {};
}

api_error read_events(const Value& body, std::vector<event_type>& out) {
  out.clear();
  const Value* v = body_field(body, "events");
  if (v == nullptr) {
    for (auto t : all_event_types)
      if (is_task_event(t))
        out.push_back(t);
    return {};
  }
  if (!v->IsArray() || v->Empty())
    return invalid("events must be a non-empty array of event types");
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& item = (*v)[i];
    auto at = "events[" + std::to_string(i) + "]";
    if (!item.IsString())
      return invalid(at + " must be a string");
    std::string_view name(item.GetString(), item.GetStringLength());
    auto t = parse_event_type(name);
    if (!t)
      return invalid(at + " must be an event type (" + type_names() + ")");
    if (std::find(out.begin(), out.end(), *t) == out.end())
      out.push_back(*t);
  }
  return {};
}

/// Characters, not bytes: the body is valid UTF-8 by now.
size_t characters(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

api_error read_secret(const Value& body, std::string& out) {
  auto rule = "a string of at least " + std::to_string(min_webhook_secret)
              + " characters";
  const Value* v = body_field(body, "secret");
  if (v == nullptr)
    return invalid("secret is required: " + rule);
  std::string_view text;
  if (v->IsString())
    text = std::string_view(v->GetString(), v->GetStringLength());
  if (!v->IsString() || characters(text) < min_webhook_secret)
    return invalid("secret must be " + rule);
  out = std::string(text);
  return {};
}

} // namespace

api_error parse_webhook_request(std::string_view body, webhook& out) {
  rapidjson::Document doc;
  if (auto err = parse_json_body(body, doc))
    return err;
  if (auto err = read_url(doc, out.url))
    return err;
  if (auto err = read_events(doc, out.events))
    return err;
  return read_secret(doc, out.secret);
}

bool parse_webhook_id(std::string_view text, uint64_t& out) {
  task_id id = 0;
  if (!parse_task_id(text, id))
    return false;
  out = id;
  return true;
}

bool wants(const webhook& w, event_type t) {
  return std::find(w.events.begin(), w.events.end(), t) != w.events.end();
}

} // namespace tmx

// The body of POST /api/v1/webhook and the webhook's url, read into domain
// values. Pure functions over text: the HTTP layer hands the body, the
// sender the stored url.
#pragma once

#include "model/error.hpp"
#include "model/webhook.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tmx {

/// A webhook url taken apart as the sender connects to it.
struct webhook_url {
  bool https = false;
  std::string host; // a name, an IPv4 address or an IPv6 one (no brackets)
  uint16_t port = 0;
  std::string target = "/"; // path and query, as given
};

/// The url read by the rules of registration: http:// or https://, a host,
/// an optional port, then a path or query; printable ASCII, no blanks, no
/// user info, no fragment. nullopt with `why` ("url ...") otherwise.
std::optional<webhook_url> parse_webhook_url(std::string_view text,
                                             std::string& why);

/// Longest url a webhook may have, and shortest secret (characters).
constexpr size_t max_webhook_url = 2048;
constexpr size_t min_webhook_secret = 16;

/// The body `{url, events, secret}` into `out` (url, events, secret; the
/// rest untouched). `events` absent or null: every task event; a repeated
/// type is kept once, in the order given. Unknown fields are ignored.
api_error parse_webhook_request(std::string_view body, webhook& out);

/// A webhook id as a path holds it: a positive decimal integer.
bool parse_webhook_id(std::string_view text, uint64_t& out);

/// Whether `w` wants events of type `t`.
bool wants(const webhook& w, event_type t);

} // namespace tmx

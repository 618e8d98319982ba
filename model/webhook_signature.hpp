// How a webhook POST is signed: HMAC-SHA256 of the body with the webhook's
// secret, as the receiver recomputes it.
#pragma once

#include <string>
#include <string_view>

namespace tmx {

/// Lowercase hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The X-Tmx-Signature header's value: "sha256=<hmac_sha256_hex>".
std::string webhook_signature(std::string_view secret, std::string_view body);

} // namespace tmx

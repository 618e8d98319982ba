// HMAC-SHA256 through OpenSSL's one-shot HMAC().
#include "model/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace tmx {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // No bytes of key or data are valid input; HMAC() wants non-null
  // pointers.
  static const unsigned char no_key = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&no_key)
                                      : static_cast<const void*>(key.data());
  auto bytes = data.empty()
                 ? &no_key
                 : reinterpret_cast<const unsigned char*>(data.data());
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), bytes,
           data.size(), mac, &size)
      == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += digits[mac[i] >> 4];
    out += digits[mac[i] & 0x0f];
  }
  return out;
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

} // namespace tmx

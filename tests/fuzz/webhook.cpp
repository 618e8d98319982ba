// Fuzz target: the body of POST /api/v1/webhook (parse_webhook_request),
// the same bytes as a webhook url (parse_webhook_url) and as the types and
// Last-Event-ID of GET /api/v1/events (parse_event_query). Bad input must
// give an error naming what is wrong, never a crash; what they accept
// keeps the rules of registration and of the stream.
#include "model/event_query.hpp"
#include "model/webhook_request.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace tmx;
using tmx::fuzz::check;

void webhook_body(std::string_view body) {
  webhook w;
  if (auto err = parse_webhook_request(body, w)) {
    check(err.code == ec::invalid_params && !err.message.empty(),
          "a bad webhook body is 40001 with a message");
    return;
  }
  std::string why;
  check(parse_webhook_url(w.url, why).has_value(), "its url is usable");
  check(!w.events.empty(), "it names event types");
  for (size_t i = 0; i < w.events.size(); ++i)
    check(std::count(w.events.begin(), w.events.end(), w.events[i]) == 1,
          "each type once");
  check(w.secret.size() >= min_webhook_secret, "a secret long enough");
}

void url(std::string_view text) {
  std::string why;
  auto u = parse_webhook_url(text, why);
  check(u.has_value() == why.empty(), "a url is usable or says why not");
  if (u)
    check(!u->host.empty() && u->port != 0 && !u->target.empty()
            && u->target.front() == '/',
          "a host, a port and a target");
}

void event_query_of(std::string_view text) {
  auto types = [&](std::string_view name) -> std::optional<std::string_view> {
    if (name == "types")
      return text;
    return std::nullopt;
  };
  event_query q;
  auto err = parse_event_query(types, text, q);
  check(!err || (err.code == ec::invalid_params && !err.message.empty()),
        "a bad query is 40001 with a message");
  if (!err)
    check(q.resume && q.types && !q.types->empty(), "both were read");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  webhook_body(text);
  url(text);
  event_query_of(text);
  return 0;
}

// The part of an exchange that is the same over any transport: the error
// envelope and its HTTP status.
#include "http/exchange.hpp"

#include "http/json.hpp"

namespace tmx {

void exchange::reply_error(const api_error& err, int http) {
  reply(http != 0 ? http : http_status(err.code), error_body(err));
}

} // namespace tmx

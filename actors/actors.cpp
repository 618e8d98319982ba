// The one mapping between caf::error and the API's error codes.
#include "actors/actors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace tmx {

caf::error make_error(ec code, std::string message) {
  return caf::error(static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message)));
}

caf::error make_error(ec code) {
  return caf::error(static_cast<uint8_t>(code), error_category);
}

api_error to_api_error(const caf::error& err) {
  if (err.category() == error_category) {
    api_error result{static_cast<ec>(err.code()), ""};
    if (err.context().match_elements<std::string>())
      result.message = err.context().get_as<std::string>(0);
    if (result.message.empty())
      result.message = result.code == ec::not_found ? "task not found"
                                                    : "request failed";
    return result;
  }
  // CAF's own errors (timeouts, dead actors) are internal to us: say what
  // happened in words a client can act on, without internals.
  if (err == caf::sec::request_timeout)
    return {ec::internal, "internal error: the server did not answer in time"};
  return {ec::internal, "internal error"};
}

} // namespace tmx

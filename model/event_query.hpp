// What a client asks of GET /api/v1/events: which types, and where to
// resume (its Last-Event-ID header).
#pragma once

#include "model/error.hpp"
#include "model/event.hpp"
#include "model/request_parsing.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace tmx {

struct event_query {
  std::optional<std::vector<event_type>> types; // nullopt: every type
  bool resume = false;                          // a Last-Event-ID was given
  uint64_t after = 0;                           // its value

  bool wants(event_type t) const;
};

/// `types` (comma-separated event types) from the query, and the
/// Last-Event-ID header if any (0 or more: ids start at 1, so 0 is before
/// the first). 40001 naming what is wrong.
api_error parse_event_query(const query_lookup& query,
                            std::optional<std::string_view> last_event_id,
                            event_query& out);

} // namespace tmx

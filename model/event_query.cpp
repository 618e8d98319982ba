#include "model/event_query.hpp"

#include <algorithm>
#include <charconv>

namespace tmx {

bool event_query::wants(event_type t) const {
  return !types || std::find(types->begin(), types->end(), t) != types->end();
}

api_error parse_event_query(const query_lookup& query,
                            std::optional<std::string_view> last_event_id,
                            event_query& out) {
  out = {};
  if (auto types = query("types")) {
    std::string bad;
    out.types = parse_event_types(*types, bad);
    if (!out.types)
      return invalid(bad.empty() ? "types must list event types"
                                 : "types: unknown event type '" + bad + "'");
  }
  if (last_event_id) {
    auto text = *last_event_id;
    while (!text.empty() && text.front() == ' ')
      text.remove_prefix(1);
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                     id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return invalid("Last-Event-ID must be an event id (a whole number)");
    out.resume = true;
    out.after = id;
  }
  return {};
}

} // namespace tmx

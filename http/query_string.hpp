// A request's query string as the endpoints read it: decoded by RESTinio's
// parse_query, looked up by name (the first value of a name). Apart from
// http/server.cpp so that the list-query fuzz target reads it the same way.
#pragma once

#include "model/request_parsing.hpp"

#include <optional>
#include <string_view>

namespace tmx {

/// nullopt when RESTinio cannot decode `raw` (the endpoint answers 40001).
std::optional<query_lookup> parse_query_string(std::string_view raw);

} // namespace tmx

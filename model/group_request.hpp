// The body of POST /api/v1/group read into a device_group. A pure
// function over text: whether the serials are known devices is the task
// manager's to say.
#pragma once

#include "model/error.hpp"
#include "model/group.hpp"

#include <cstddef>
#include <string_view>

namespace tmx {

/// Longest group name (characters), and most serials one group holds.
constexpr size_t max_group_name = 64;
constexpr size_t max_group_serials = 1000;

/// The body `{name, serials}` into `out` (name and serials; created_at
/// untouched). `name`: a non-empty string of at most max_group_name
/// characters, no control characters. `serials`: a non-empty array of at
/// most max_group_serials non-empty strings, each once (a repeated serial
/// is 40001 naming it, as in a create), kept in the order given. Unknown
/// fields are ignored. 40001 naming the field otherwise.
api_error parse_group_request(std::string_view body, device_group& out);

} // namespace tmx

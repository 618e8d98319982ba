// Paths and the route table's patterns, segment by segment: no RESTinio,
// so that the server's one RESTinio file stays small.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tmx {

/// The non-empty segments of `path`: "//a/b/" is {"a", "b"}.
std::vector<std::string_view> split_path(std::string_view path);

/// Whether `path` has the segments of `pattern`, a ":name" segment taking
/// any one; `param` gets the one it took.
bool has_segments_of(std::string_view pattern, std::string_view path,
                     std::string_view& param);

/// The name of the one ":name" segment of `pattern`, "" if it has none.
std::string_view param_name(std::string_view pattern);

/// `pattern` as the metrics name its route: ":name" segments as "{name}"
/// ("/api/v1/task/:task_id" is "/api/v1/task/{task_id}").
std::string route_label(std::string_view pattern);

} // namespace tmx

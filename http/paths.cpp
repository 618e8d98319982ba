#include "http/paths.hpp"

namespace tmx {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos)
      next = path.size();
    if (next > pos)
      parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

bool has_segments_of(std::string_view pattern, std::string_view path,
                     std::string_view& param) {
  auto want = split_path(pattern);
  auto got = split_path(path);
  if (want.size() != got.size())
    return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() == ':')
      param = got[i];
    else if (want[i] != got[i])
      return false;
  }
  return true;
}

std::string_view param_name(std::string_view pattern) {
  auto at = pattern.find(':');
  if (at == std::string_view::npos)
    return {};
  auto end = pattern.find('/', at);
  return pattern.substr(at + 1, end == std::string_view::npos
                                  ? std::string_view::npos
                                  : end - at - 1);
}

std::string route_label(std::string_view pattern) {
  std::string out;
  for (auto segment : split_path(pattern)) {
    out += '/';
    if (segment.front() == ':')
      out.append("{").append(segment.substr(1)).append("}");
    else
      out += segment;
  }
  return out.empty() ? "/" : out;
}

} // namespace tmx

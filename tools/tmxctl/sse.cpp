// The server-sent events parser of tmxctl (see sse.hpp).
#include "tools/tmxctl/sse.hpp"

#include <algorithm>
#include <charconv>

namespace tmxctl {

namespace {

constexpr std::string_view bom = "\xEF\xBB\xBF";

} // namespace

std::vector<sse_event> sse_parser::feed(std::string_view chunk) {
  std::vector<sse_event> out;
  if (after_cr_ && !chunk.empty()) {
    // The CR that ended the last chunk and this LF are one line end.
    after_cr_ = false;
    if (chunk.front() == '\n')
      chunk.remove_prefix(1);
  }
  auto scan_from = pending_.size();
  pending_.append(chunk);
  if (at_start_) {
    // A stream may begin with a UTF-8 byte order mark, cut like the rest.
    auto n = std::min(pending_.size(), bom.size());
    if (n < bom.size() && pending_.compare(0, n, bom.data(), n) == 0)
      return out;
    if (pending_.compare(0, bom.size(), bom) == 0)
      pending_.erase(0, bom.size());
    at_start_ = false;
    scan_from = 0;
  }
  size_t begin = 0;
  for (size_t i = scan_from; i < pending_.size(); ++i) {
    char c = pending_[i];
    if (c != '\n' && c != '\r')
      continue;
    line(std::string_view(pending_).substr(begin, i - begin), out);
    if (c == '\r') {
      if (i + 1 == pending_.size())
        after_cr_ = true;
      else if (pending_[i + 1] == '\n')
        ++i;
    }
    begin = i + 1;
  }
  pending_.erase(0, begin);
  return out;
}

void sse_parser::restart() {
  pending_.clear();
  after_cr_ = false;
  at_start_ = true;
  data_.clear();
  type_.clear();
  has_data_ = has_type_ = false;
  id_buffer_ = last_id_;
}

void sse_parser::line(std::string_view text, std::vector<sse_event>& out) {
  if (text.empty()) {
    last_id_ = id_buffer_;
    if (has_data_ || has_type_)
      out.push_back({last_id_, type_.empty() ? "message" : type_, data_});
    data_.clear();
    type_.clear();
    has_data_ = has_type_ = false;
    return;
  }
  if (text.front() == ':') {
    ++comments_;
    return;
  }
  auto colon = text.find(':');
  auto name = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  field(name, value);
}

void sse_parser::field(std::string_view name, std::string_view value) {
  if (name == "data") {
    if (has_data_)
      data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (name == "event") {
    type_.assign(value);
    has_type_ = true;
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos)
      id_buffer_.assign(value);
  } else if (name == "retry") {
    uint64_t ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(),
                                     ms);
    if (!value.empty() && ec == std::errc()
        && end == value.data() + value.size())
      retry_ms_ = ms;
  }
  // Other fields are ignored, as the standard says.
}

} // namespace tmxctl

// Cutting a script's output into capped lines and batching them (see
// output_lines.hpp).
#include "host/output_lines.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>

namespace tmx::host::detail {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

void output_batch::add(output_line line) {
  if (lines.size() >= cap) {
    lines.pop_front();
    ++dropped;
  }
  lines.push_back(std::move(line));
}

std::vector<output_line> output_batch::take() {
  // The marker takes a place of its own, so the batch stays within `cap`.
  if (dropped > 0 && lines.size() >= cap) {
    lines.pop_front();
    ++dropped;
  }
  std::vector<output_line> out;
  if (dropped > 0)
    out.push_back({lines.empty() ? now_ms() : lines.front().at, false,
                   "[" + std::to_string(dropped) + " lines not kept]"});
  std::move(lines.begin(), lines.end(), std::back_inserter(out));
  lines.clear();
  dropped = 0;
  return out;
}

void line_splitter::end_line(int64_t at, output_batch& b) {
  // A cut line lost its end, so a '\r' there is text, not a CRLF.
  if (!cut_ && !part_.empty() && part_.back() == '\r')
    part_.pop_back();
  b.add({at, is_stderr_, std::move(part_)});
  part_.clear();
  cut_ = false;
}

void line_splitter::finish(int64_t at, output_batch& b) {
  if (!part_.empty() || cut_)
    end_line(at, b);
}

void line_splitter::feed(std::string_view data, int64_t at, size_t max,
                         output_batch& b) {
  const char* p = data.data();
  for (size_t left = data.size(); left > 0;) {
    auto nl = static_cast<const char*>(std::memchr(p, '\n', left));
    size_t len = nl ? static_cast<size_t>(nl - p) : left;
    if (!cut_) {
      size_t room = max - std::min(max, part_.size());
      cut_ = len > room;
      part_.append(p, std::min(len, room));
    }
    if (!nl)
      break;
    end_line(at, b);
    p = nl + 1;
    left -= len + 1;
  }
}

} // namespace tmx::host::detail

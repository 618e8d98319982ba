// A script's output as tmx keeps it (see script_process.hpp): each stream
// cut into lines of at most max_line_bytes, and the lines of one flush
// interval batched, at most max_batch_lines of them. Internal to host/.
#pragma once

#include "host/script_process.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace tmx::host::detail {

// Milliseconds since the Unix epoch, the time stamp of an output line.
int64_t now_ms();

// Output waiting for the next flush; never more than `cap` lines, so memory
// stays bounded whatever the script prints.
struct output_batch {
  size_t cap = 1;
  std::deque<output_line> lines;
  size_t dropped = 0;

  void add(output_line line);

  // The newest lines after a "[N lines not kept]" marker that counts the
  // others; at most `cap` in all. Leaves the batch empty.
  std::vector<output_line> take();
};

// One output stream cut into lines; a line longer than `max` keeps its
// first `max` bytes and the rest is skipped up to the next '\n'.
class line_splitter {
public:
  explicit line_splitter(bool is_stderr = false) : is_stderr_(is_stderr) {}

  // Bytes read at `at`; every line they complete goes to `b`.
  void feed(std::string_view data, int64_t at, size_t max, output_batch& b);

  // At end of file (or a read error) a final partial line still counts.
  void finish(int64_t at, output_batch& b);

private:
  void end_line(int64_t at, output_batch& b);

  bool is_stderr_;
  std::string part_;
  bool cut_ = false;
};

} // namespace tmx::host::detail

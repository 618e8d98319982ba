// Terminal output of tmxctl (see output.hpp).
#include "tools/tmxctl/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace tmxctl {

namespace {

const char* ansi(colour c) {
  switch (c) {
    case colour::none: return "";
    case colour::red: return "\x1b[31m";
    case colour::green: return "\x1b[32m";
    case colour::yellow: return "\x1b[33m";
    case colour::blue: return "\x1b[34m";
    case colour::cyan: return "\x1b[36m";
    case colour::dim: return "\x1b[2m";
    case colour::bold: return "\x1b[1m";
  }
  return "";
}

std::string painted(std::string_view text, colour c, bool enabled) {
  if (!enabled || c == colour::none || text.empty())
    return std::string(text);
  return ansi(c) + std::string(text) + "\x1b[0m";
}

// The first `width` characters of `s`, the last one "…" when cut.
std::string cut(const std::string& s, size_t width) {
  if (width == 0 || display_width(s) <= width)
    return s;
  size_t chars = 0, i = 0;
  for (; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && ++chars == width)
      break;
  return s.substr(0, i) + "…";
}

} // namespace

size_t display_width(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string human_bytes(uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0)
    std::snprintf(buf, sizeof buf, "%llu B",
                  static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

// -- terminal -----------------------------------------------------------------

terminal terminal::detect(bool no_colour) {
  terminal t;
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  const char* env = std::getenv("NO_COLOR");
  bool colour_ok = !no_colour && (env == nullptr || *env == '\0');
  t.out_tty_ = ::isatty(STDOUT_FILENO) == 1;
  t.err_tty_ = ::isatty(STDERR_FILENO) == 1;
  t.out_colour_ = colour_ok && t.out_tty_;
  t.err_colour_ = colour_ok && t.err_tty_;
  return t;
}

std::string terminal::paint(std::string_view text, colour c) const {
  return painted(text, c, out_colour_);
}

void terminal::error(const std::string& message) {
  end_progress();
  std::cout.flush(); // what came before the error stays before it
  std::cerr << painted("tmxctl: " + message, colour::red, err_colour_)
            << std::endl;
}

void terminal::note(const std::string& message) {
  end_progress();
  std::cout.flush();
  std::cerr << painted("tmxctl: " + message, colour::yellow, err_colour_)
            << std::endl;
}

void terminal::progress(const std::string& what, uint64_t done,
                        uint64_t total) {
  if (!err_tty_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (progress_shown_ && done < total
      && now - last_progress_ < std::chrono::milliseconds(100))
    return;
  last_progress_ = now;
  progress_shown_ = true;
  auto pct = total == 0 ? 100 : done * 100 / total;
  std::cerr << '\r' << what << ' ' << done << '/' << total << " (" << pct
            << "%)\x1b[K" << std::flush;
}

void terminal::end_progress() {
  if (progress_shown_)
    std::cerr << "\r\x1b[K" << std::flush;
  progress_shown_ = false;
}

// -- table --------------------------------------------------------------------

table::table(std::vector<std::string> headers) {
  for (auto& h : headers) {
    bool right = !h.empty() && h[0] == '>';
    right_.push_back(right);
    headers_.push_back(right ? h.substr(1) : h);
  }
}

void table::limit(size_t column, size_t width) {
  if (limits_.size() <= column)
    limits_.resize(column + 1, 0);
  limits_[column] = width;
}

void table::add(std::vector<cell> row) {
  for (size_t i = 0; i < row.size() && i < limits_.size(); ++i)
    row[i].text = cut(row[i].text, limits_[i]);
  rows_.push_back(std::move(row));
}

void table::print(std::ostream& out, const terminal& term) const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto widen = [&](size_t i, const std::string& text) {
    if (widths.size() <= i)
      widths.resize(i + 1, 0);
    widths[i] = std::max(widths[i], display_width(text));
  };
  for (size_t i = 0; i < headers_.size(); ++i)
    widen(i, headers_[i]);
  for (auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i)
      widen(i, row[i].text);
  auto line = [&](const std::vector<cell>& row) {
    std::string text;
    for (size_t i = 0; i < row.size(); ++i) {
      bool last = i + 1 == row.size();
      auto pad = std::string(widths[i] - display_width(row[i].text), ' ');
      bool right = i < right_.size() && right_[i];
      // Padding stays outside the colour; the last column gets none.
      text += right ? pad : "";
      text += term.paint(row[i].text, row[i].tint);
      text += right || last ? "" : pad;
      text += last ? "" : "  ";
    }
    // An empty last cell leaves the padding before it at the line's end.
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  };
  if (!headers_.empty()) {
    std::vector<cell> head;
    for (auto& h : headers_)
      head.emplace_back(h, colour::bold);
    line(head);
  }
  for (auto& row : rows_)
    line(row);
}

} // namespace tmxctl

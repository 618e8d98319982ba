// tmxctl's terminal output: colour only on a terminal, aligned tables, a
// progress line on stderr, error messages, exit codes.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tmxctl {

/// The process exit codes tmxctl promises.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1, // the server said no, or the store is inconsistent
  exit_usage = 2,   // the command line itself is wrong
};

enum class colour { none, red, green, yellow, blue, cyan, dim, bold };

/// What stdout and stderr are connected to, decided once at start.
class terminal {
public:
  /// Colour where the stream is a terminal, unless `no_colour` or the
  /// NO_COLOR convention says otherwise.
  static terminal detect(bool no_colour);

  bool out_is_tty() const { return out_tty_; }

  /// `text` in colour `c` when stdout shows colour, else as it is.
  std::string paint(std::string_view text, colour c) const;

  /// "tmxctl: <message>" on stderr (red on a terminal), below a progress
  /// line if one is shown.
  void error(const std::string& message);

  /// "tmxctl: <message>" on stderr (yellow on a terminal): news, such as
  /// a lost connection, that is no failure.
  void note(const std::string& message);

  /// Overwrites the progress line on stderr: "<what> <done>/<total> (N%)",
  /// at most every 100 ms; nothing unless stderr is a terminal.
  void progress(const std::string& what, uint64_t done, uint64_t total);

  /// Clears the progress line, if one was shown.
  void end_progress();

private:
  bool out_tty_ = false;
  bool out_colour_ = false;
  bool err_tty_ = false;
  bool err_colour_ = false;
  bool progress_shown_ = false;
  std::chrono::steady_clock::time_point last_progress_{};
};

/// One table cell: its text and, on a terminal, its colour.
struct cell {
  cell(std::string t, colour c = colour::none) : text(std::move(t)), tint(c) {}
  cell(const char* t, colour c = colour::none) : text(t), tint(c) {}
  std::string text;
  colour tint;
};

/// Columns aligned to their widest cell, two spaces apart; columns whose
/// header starts with '>' are right-aligned (numbers). A table without
/// headers is a list of "key  value" lines.
class table {
public:
  explicit table(std::vector<std::string> headers = {});

  /// Cells of a longer text are cut to `width` characters with "…".
  void limit(size_t column, size_t width);

  void add(std::vector<cell> row);

  bool empty() const { return rows_.empty(); }

  void print(std::ostream& out, const terminal& term) const;

private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<size_t> limits_;
  std::vector<std::vector<cell>> rows_;
};

/// Characters (UTF-8 code points) in `s`: what a terminal shows of it.
size_t display_width(std::string_view s);

/// "1.2 MiB", "512 B".
std::string human_bytes(uint64_t bytes);

} // namespace tmxctl

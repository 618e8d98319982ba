// A script run as a child process: its own process group, config JSON on
// standard input, output read line by line on a watcher thread, SIGTERM then
// SIGKILL of the whole group, and no process left behind when the host ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tmx::host {

/// What to start.
struct process_spec {
  std::string executable;        // path of the script
  std::vector<std::string> args; // argv[1..]
  std::vector<std::string> env;  // "KEY=value": set on top of the host's own
  std::string stdin_data; // written to standard input, which is then closed
};

struct process_limits {
  std::chrono::milliseconds flush_interval{200}; // batch output this long
  size_t max_line_bytes = 4096;  // a longer line is cut, its rest dropped
  size_t max_batch_lines = 1000; // older lines of one batch are dropped
};

/// One line the process printed.
struct output_line {
  int64_t at = 0; // milliseconds since the Unix epoch
  bool is_stderr = false;
  std::string text; // without the line end
};

/// How the process ended.
struct process_exit {
  bool started = false; // false: not started at all; `error` says why
  std::string error;
  bool exited = false; // ended on its own with `code`
  int code = 0;
  int signal = 0; // else: killed by this signal
};

/// One running script. Callbacks come from the watcher thread: `lines` every
/// flush interval while there is output, `ended` once, after the last lines.
class script_process {
public:
  using lines_fn = std::function<void(std::vector<output_line>)>;
  using ended_fn = std::function<void(process_exit)>;

  /// Never blocks on the child: the fork happens on the watcher thread.
  static std::unique_ptr<script_process> start(process_spec spec,
                                               process_limits limits,
                                               lines_fn lines, ended_fn ended);

  /// SIGTERM to the process group now, SIGKILL after `grace` if any of it
  /// is still there. Returns at once.
  void terminate(std::chrono::milliseconds grace);

  /// Ends the whole group at once (SIGKILL) and waits for the watcher: no
  /// callback comes after the destructor returns.
  ~script_process();

  script_process(const script_process&) = delete;
  script_process& operator=(const script_process&) = delete;

  struct impl;

private:
  explicit script_process(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace tmx::host

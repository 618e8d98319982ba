// How a script process's run becomes a task result (CONTRACT.md "Script
// processes"): `::remark` lines, the last stderr line, exit codes and
// signals. Plain logic; the process itself lives in host/.
#pragma once

#include <string>
#include <string_view>

namespace tmx {

/// What a run printed that decides its remark.
class script_output {
public:
  /// Takes one printed line; "::remark <text>" on stdout sets the remark.
  void line(bool is_stderr, std::string_view text);

  const std::string& remark() const { return remark_; }
  const std::string& last_stderr() const { return last_stderr_; }

private:
  std::string remark_;
  std::string last_stderr_;
};

struct script_result {
  bool ok = false;
  std::string remark;
  int exit_code = -1; // -1: did not exit on its own (JSON null)
};

/// Exit 0: completed; any other exit: failed with the last ::remark, else
/// the last stderr line, else "exit code N"; killed by a signal: "killed by
/// signal N". A completed run keeps its ::remark as its remark.
script_result script_outcome(const script_output& out, bool exited, int code,
                             int signal);

/// The remark of a run whose script cannot be started at all.
std::string missing_script_remark(std::string_view script,
                                  std::string_view node);

} // namespace tmx

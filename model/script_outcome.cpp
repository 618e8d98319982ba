// Script results as the contract's "Script processes" section says.
#include "model/script_outcome.hpp"

namespace tmx {

void script_output::line(bool is_stderr, std::string_view text) {
  constexpr std::string_view marker = "::remark ";
  if (is_stderr) {
    if (!text.empty())
      last_stderr_ = std::string(text);
  } else if (text.substr(0, marker.size()) == marker) {
    remark_ = std::string(text.substr(marker.size()));
  } else if (text == "::remark") {
    remark_.clear();
  }
}

script_result script_outcome(const script_output& out, bool exited, int code,
                             int signal) {
  script_result r;
  if (!exited) {
    r.remark = "killed by signal " + std::to_string(signal);
    return r;
  }
  r.exit_code = code;
  r.ok = code == 0;
  if (r.ok)
    r.remark = out.remark();
  else if (!out.remark().empty())
    r.remark = out.remark();
  else if (!out.last_stderr().empty())
    r.remark = out.last_stderr();
  else
    r.remark = "exit code " + std::to_string(code);
  return r;
}

std::string missing_script_remark(std::string_view script,
                                  std::string_view node) {
  return "no script " + std::string(script) + " on node " + std::string(node);
}

} // namespace tmx

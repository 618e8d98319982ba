// A tmx-agent child process for black-box tests, and the small waits and
// file reads the multi-process suites share.
#pragma once

#include "tests/server_process.hpp"

#include <boost/test/unit_test.hpp>

#include <spawn.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

extern char** environ;

namespace tmx::test {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Waits until `pred` holds; fails the test case, naming `what`, when `end`
/// passes first.
template <class Predicate>
void require_by(steady::time_point end, const std::string& what,
                Predicate pred) {
  auto left = std::max(steady::duration::zero(), end - steady::now());
  BOOST_REQUIRE_MESSAGE(wait_until(pred, left), "gave up waiting: " << what);
}

// -- the agent process --------------------------------------------------------

/// Owns one tmx-agent child process, started with posix_spawn in a process
/// group of its own, printing to `log` (appended to across restarts);
/// whatever still runs is killed in the destructor.
class agent_process {
public:
  agent_process(options args, std::filesystem::path dir,
                std::filesystem::path log)
    : args_(std::move(args)), dir_(std::move(dir)), log_(std::move(log)) {}

  agent_process(const agent_process&) = delete;
  agent_process& operator=(const agent_process&) = delete;

  ~agent_process() { kill(); }

  /// Starts the agent with its options plus `extra`; returns at once.
  /// `extra` replaces the options of earlier launches.
  void launch(const options& extra = {}) {
    if (pid_ > 0)
      throw std::logic_error("agent already running");
    args_ = merged(args_, extra);
    std::vector<std::string> words{TMX_AGENT_BINARY};
    for (auto& [key, value] : args_)
      words.push_back("--" + key + "=" + value);
    std::vector<char*> argv;
    for (auto& w : words)
      argv.push_back(w.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&files, STDERR_FILENO + 1);
    // In the test's dir: no stray caf-application.ini is read.
    posix_spawn_file_actions_addchdir_np(&files, dir_.c_str());
    posix_spawnattr_t attrs;
    posix_spawnattr_init(&attrs);
    posix_spawnattr_setflags(&attrs, POSIX_SPAWN_SETPGROUP
                                       | POSIX_SPAWN_SETSIGMASK
                                       | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attrs, 0);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attrs, &signals);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM})
      sigaddset(&signals, sig);
    posix_spawnattr_setsigdefault(&attrs, &signals);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, argv[0], &files, &attrs, argv.data(), environ);
    posix_spawnattr_destroy(&attrs);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0)
      throw std::runtime_error("cannot start tmx-agent");
    pid_ = pid;
    status_.reset();
  }

  /// 0 while not running.
  pid_t pid() const { return pid_; }

  void signal(int sig) const {
    if (pid_ > 0)
      ::kill(pid_, sig);
  }

  /// SIGKILL to its process group (a stopped agent too), and reaps it.
  void kill() {
    if (pid_ <= 0)
      return;
    ::kill(-pid_, SIGKILL);
    reap(0);
  }

  /// The exit status (128 + signal for a signal) once the agent ended
  /// within `deadline`, else nothing.
  std::optional<int> wait_exit(steady::duration deadline) {
    wait_until([this] { return pid_ <= 0 || reap(WNOHANG); }, deadline);
    return status_;
  }

  std::string log() const { return file_text(log_); }

  const std::filesystem::path& log_path() const { return log_; }

private:
  bool reap(int flags) {
    int raw = 0;
    if (::waitpid(pid_, &raw, flags) != pid_)
      return false;
    status_ = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
    pid_ = 0;
    return true;
  }

  options args_;
  std::filesystem::path dir_;
  std::filesystem::path log_;
  pid_t pid_ = 0;
  std::optional<int> status_;
};

} // namespace tmx::test

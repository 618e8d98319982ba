// Helpers of the tmxctl suite: tmxctl run as a child process (stdout and
// stderr to files, or on a pseudo-terminal) and a real tmx-server to point
// it at, with tasks of every kind.
#pragma once

#include "tests/server_process.hpp"

#include <boost/test/unit_test.hpp>

#include <pty.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tmx::test {

using ids = std::vector<uint64_t>;
using args = std::vector<std::string>;

/// Due far in the future: such a task stays pending for the whole test.
inline const std::string later = "2090-01-01T00:00:00+00:00";

// -- running tmxctl -----------------------------------------------------------

/// How one run of tmxctl ended.
struct result {
  int exit = -1; // 128 + signal when killed
  std::string out;
  std::string err;

  rapidjson::Document json() const { return parse_json(out); }

  /// The first line of stdout that holds `needle` ("" if none).
  std::string line_with(const std::string& needle) const {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos)
        return line;
    return {};
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> all;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      all.push_back(line);
    return all;
  }
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline std::vector<char*> argv_of(args& a) {
  std::vector<char*> argv;
  for (auto& s : a)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

/// The child's side: a clean environment for tmxctl, then exec.
[[noreturn]] inline void exec_tmxctl(char** argv, const options& env) {
  for (const char* name : {"TMX_URL", "TMX_DATA", "TMX_TOKEN", "NO_COLOR"})
    ::unsetenv(name);
  for (auto& [name, value] : env)
    ::setenv(name.c_str(), value.c_str(), 1);
  ::execv(argv[0], argv);
  ::_exit(127);
}

/// A condition on what a child has written to stdout so far.
using output_condition = std::function<bool(const std::string& out)>;

/// Waits for `pid` at most 60 s (then kills it). When `interrupt_when` is
/// set, it first waits (at most 30 s) until that holds, then sends SIGINT:
/// a condition rather than a time, since a SIGINT that comes before the
/// child has installed its handler kills it.
inline int wait_child(pid_t pid,
                      const std::function<bool()>& interrupt_when = {}) {
  int raw = 0;
  bool ended = false;
  auto reaped = [&] {
    return ended = ended || ::waitpid(pid, &raw, WNOHANG) == pid;
  };
  if (interrupt_when) {
    wait_until([&] { return reaped() || interrupt_when(); }, 30s);
    if (!ended)
      ::kill(pid, SIGINT);
  }
  if (!wait_until(reaped, 60s)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &raw, 0);
  }
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

/// Runs tmxctl with `arguments`, stdout and stderr to files (no terminal:
/// no colour, no progress line); with `interrupt_when`, sends it SIGINT
/// once its stdout satisfies that.
inline result tmxctl(const args& arguments, const options& env = {},
                     const output_condition& interrupt_when = {}) {
  auto dir = make_temp_dir();
  args a{TMXCTL_BINARY};
  a.insert(a.end(), arguments.begin(), arguments.end());
  auto argv = argv_of(a);
  int out_fd = ::open((dir / "out").c_str(), O_WRONLY | O_CREAT, 0644);
  int err_fd = ::open((dir / "err").c_str(), O_WRONLY | O_CREAT, 0644);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    exec_tmxctl(argv.data(), env);
  }
  ::close(out_fd);
  ::close(err_fd);
  result r;
  std::function<bool()> interrupt;
  if (interrupt_when)
    interrupt = [&] { return interrupt_when(read_all(dir / "out")); };
  r.exit = wait_child(pid, interrupt);
  r.out = read_all(dir / "out");
  r.err = read_all(dir / "err");
  std::filesystem::remove_all(dir);
  return r;
}

/// Runs tmxctl on a pseudo-terminal: what a person sees (stdout and
/// stderr together).
inline result tmxctl_on_tty(const args& arguments) {
  args a{TMXCTL_BINARY};
  a.insert(a.end(), arguments.begin(), arguments.end());
  auto argv = argv_of(a);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0)
    exec_tmxctl(argv.data(), {});
  result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;)
    r.out.append(buf, static_cast<size_t>(n)); // EIO once the child is gone
  ::close(master);
  r.exit = wait_child(pid);
  return r;
}

inline void check_same_json(const rapidjson::Value& got,
                            const rapidjson::Value& want) {
  BOOST_TEST(!got.IsNull());
  BOOST_TEST((got == want),
             "tmxctl: " << to_json(got) << "\nAPI:    " << to_json(want));
}

inline std::string joined(const args& a) {
  std::string out;
  for (auto& s : a)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// -- a server -----------------------------------------------------------------

inline const options base_options{{"sim.devices", "4"},
                                  {"sim.task-duration", "300ms"}};

/// A running server and tmxctl pointed at it.
struct live_server : server_process {
  explicit live_server(const options& extra = {})
    : server_process(merged(base_options, extra)) {
    require_start();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port());
  }

  result ctl(args a, const options& env = {}) const {
    a.insert(a.begin(), {"--url", url()});
    return tmxctl(a, env);
  }

  /// The data of a GET that must succeed.
  rapidjson::Document api(const std::string& path) const {
    auto r = get("/api/v1" + path);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, path + ": " + r.text);
    rapidjson::Document out;
    out.CopyFrom(r.data(), out.GetAllocator());
    return out;
  }

  /// Creates one post task per serial through the API.
  ids create(const std::vector<std::string>& serials,
             const std::string& start_time = "") const {
    auto body = "{\"serials\":" + json_strings(serials)
                + ",\"script_name\":\"post\",\"script_config\":{}"
                + (start_time.empty()
                     ? std::string()
                     : ",\"start_time\":\"" + start_time + "\"")
                + "}";
    auto r = post("/api/v1/task", body);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.text);
    return ids_of(member(r.data(), "task_ids"));
  }

  int status_of(uint64_t id) const {
    return static_cast<int>(
      int_of(member(api("/task/" + std::to_string(id)), "status")));
  }

  /// Waits until every task of `list` has `status`.
  void require_status(const ids& list, int status) const {
    BOOST_REQUIRE(wait_until(
      [&] {
        return std::all_of(list.begin(), list.end(), [&](uint64_t id) {
          return status_of(id) == status;
        });
      },
      15s));
  }
};

/// A server that has run tasks of every kind: completed ones with logs,
/// pending ones due in 2090, failed (stopped) ones, a deleted one.
struct busy_server : live_server {
  ids completed, pending, failed;

  busy_server() {
    completed = create({"sim-0001", "sim-0002", "sim-0003"});
    require_status(completed, 2);
    pending = create({"sim-0001", "sim-0002", "sim-0004"}, later);
    failed = create({"sim-0003", "sim-0004"}, later);
    for (auto id : failed)
      BOOST_REQUIRE(post("/api/v1/task/" + std::to_string(id) + "/stop").code()
                    == 0);
    auto gone = create({"sim-0001"}, later);
    BOOST_REQUIRE(del("/api/v1/task/" + std::to_string(gone[0])).code() == 0);
  }

  uint64_t max_id() const { return failed.back(); }
};

inline std::string path_of(uint64_t id, const std::string& action = "") {
  return "/task/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
}

} // namespace tmx::test

// A real tmx-server process for black-box tests: free port, fresh data dir,
// log file, SIGTERM/SIGKILL, restart; plus an HTTP client and JSON helpers.
#pragma once

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tmx::test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Polls `pred` every 25 ms until it holds or `deadline` has passed; the
/// result is the last answer of `pred`.
template <class Predicate>
bool wait_until(Predicate pred, steady::duration deadline) {
  auto end = steady::now() + deadline;
  for (;;) {
    if (pred())
      return true;
    if (steady::now() >= end)
      return pred();
    std::this_thread::sleep_for(25ms);
  }
}

// -- JSON ---------------------------------------------------------------------

/// Parses `text`; a text that is no JSON document yields a null value.
inline rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  if (doc.Parse(text.data(), text.size()).HasParseError())
    doc.SetNull();
  return doc;
}

/// Compact JSON text of `v`.
inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

/// Member `name` of `v`, or a null value when `v` is no object or lacks it.
inline const rapidjson::Value& member(const rapidjson::Value& v,
                                      const char* name) {
  static const rapidjson::Value null_value;
  if (!v.IsObject())
    return null_value;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? null_value : it->value;
}

inline std::string text_of(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength())
                      : std::string();
}

/// The integer `v`, or -1 when it is none.
inline int64_t int_of(const rapidjson::Value& v) {
  return v.IsInt64() ? v.GetInt64() : -1;
}

/// A task id, or 0 when `v` is none.
inline uint64_t id_of(const rapidjson::Value& v) {
  return v.IsUint64() ? v.GetUint64() : 0;
}

/// The integers of a JSON array (others are skipped).
inline std::vector<uint64_t> ids_of(const rapidjson::Value& v) {
  std::vector<uint64_t> out;
  if (v.IsArray())
    for (auto& x : v.GetArray())
      if (x.IsUint64())
        out.push_back(x.GetUint64());
  return out;
}

/// `["a","b"]` for names that need no escaping.
inline std::string json_strings(const std::vector<std::string>& names) {
  std::string out = "[";
  for (auto& n : names)
    out += (out.size() > 1 ? ",\"" : "\"") + n + "\"";
  return out + "]";
}

// -- HTTP ---------------------------------------------------------------------

/// One HTTP exchange as the test sees it.
struct reply {
  int status = 0; // HTTP status; 0: no response (refused, reset, timeout)
  std::string text;
  std::string content_type;
  std::string retry_after;
  httplib::Headers headers; // every header of the response
  rapidjson::Document json; // null unless `text` is a JSON document

  int code() const {
    const auto& c = member(json, "code");
    return c.IsInt() ? c.GetInt() : -1;
  }

  std::string message() const { return text_of(member(json, "message")); }

  const rapidjson::Value& data() const { return member(json, "data"); }
};

using headers = httplib::Headers;

/// Sends one request to 127.0.0.1:`port` on a connection of its own.
inline reply http_request(uint16_t port, const std::string& method,
                          const std::string& path, const std::string& body = {},
                          const headers& extra = {},
                          steady::duration timeout = 15s,
                          const std::string& host = "127.0.0.1") {
  httplib::Client cli(host, port);
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = extra;
  if (!body.empty() && !req.has_header("Content-Type"))
    req.headers.emplace("Content-Type", "application/json");
  req.body = body;
  reply out;
  if (auto res = cli.send(req)) {
    out.status = res->status;
    out.text = res->body;
    out.content_type = res->get_header_value("Content-Type");
    out.retry_after = res->get_header_value("Retry-After");
    out.headers = res->headers;
    out.json = parse_json(out.text);
  }
  return out;
}

// -- the process --------------------------------------------------------------

/// A port that was free a moment ago on 127.0.0.1.
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("cannot find a free port");
  return ntohs(addr.sin_port);
}

inline std::filesystem::path make_temp_dir() {
  auto pattern = (std::filesystem::temp_directory_path() / "tmx-it-XXXXXX")
                   .string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  return pattern;
}

/// Server options as `--key=value`; a later key replaces an earlier one and
/// an empty value drops the key from the command line.
using options = std::vector<std::pair<std::string, std::string>>;

inline options merged(options base, const options& extra) {
  for (auto& [key, value] : extra) {
    bool replaced = false;
    for (auto& kv : base)
      if (kv.first == key) {
        kv.second = value;
        replaced = true;
      }
    if (!replaced)
      base.emplace_back(key, value);
  }
  return base;
}

/// Owns one tmx-server child process (in its own process group), its port
/// and its temp dir; whatever still runs is killed in the destructor, and
/// the dir removed (kept when TMX_KEEP_TEST_DIRS is set, for post-mortems).
class server_process {
public:
  explicit server_process(options base = {})
    : dir_(make_temp_dir()), port_(free_port()), base_(std::move(base)) {}

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  ~server_process() {
    kill();
    std::error_code ignored;
    if (std::getenv("TMX_KEEP_TEST_DIRS") == nullptr)
      std::filesystem::remove_all(dir_, ignored);
  }

  uint16_t port() const { return port_; }

  /// 0 while not running.
  pid_t pid() const { return pid_; }

  const std::filesystem::path& dir() const { return dir_; }

  std::filesystem::path data_dir() const { return dir_ / "data"; }

  std::filesystem::path log_path() const { return dir_ / "server.log"; }

  /// Everything the server processes of this fixture printed.
  std::string log() const {
    std::ifstream in(log_path());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  /// Starts the process with the base options plus `extra`; returns at once.
  void launch(const options& extra = {}) {
    if (pid_ > 0)
      throw std::logic_error("server already running");
    auto opts = merged({{"http.port", std::to_string(port_)},
                        {"storage.path", data_dir().string()}},
                       merged(base_, extra));
    std::vector<std::string> args{TMX_SERVER_BINARY};
    for (auto& [key, value] : opts)
      if (!value.empty())
        args.push_back("--" + key + "=" + value);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    auto dir = dir_.string();
    int log_fd = ::open(log_path().c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
      throw std::runtime_error("cannot open the server log");
    pid_t pid = ::fork();
    if (pid == 0)
      exec_child(argv.data(), dir.c_str(), log_fd); // never returns
    ::close(log_fd);
    if (pid < 0)
      throw std::runtime_error("fork failed");
    ::setpgid(pid, pid); // also in the child: whichever runs first
    pid_ = pid;
    status_.reset();
  }

  /// Launches and waits until GET /api/v1/license/check answers; false if
  /// the process exited or `deadline` passed first.
  bool start(const options& extra = {}, steady::duration deadline = 20s) {
    launch(extra);
    return wait_until([this] { return exited() || answers(); }, deadline)
           && !exited();
  }

  /// start() that throws, with the server's log, when the server did not
  /// come up (a test fails with the reason).
  void require_start(const options& extra = {}) {
    if (!start(extra))
      throw std::runtime_error("tmx-server did not start; its log:\n" + log());
  }

  /// Ends a running process with SIGTERM, then starts it again on the same
  /// port and data dir with `extra` options (throws if it does not start).
  void restart(const options& extra = {}) {
    terminate();
    require_start(extra);
  }

  /// Whether the server answers HTTP at all.
  bool answers() const {
    return http_request(port_, "GET", "/api/v1/license/check", {}, {}, 1s)
             .status
           != 0;
  }

  /// Whether the process has ended (reaps it then).
  bool exited() {
    if (pid_ <= 0)
      return true;
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) != pid_)
      return false;
    reaped(raw);
    return true;
  }

  /// The exit status once the process ended within `deadline` (128 + signal
  /// for a signal), else nothing.
  std::optional<int> wait_exit(steady::duration deadline) {
    wait_until([this] { return exited(); }, deadline);
    return status_;
  }

  /// SIGTERM, and its exit status; a process that does not end within
  /// `deadline` is killed and the result is -1.
  int terminate(steady::duration deadline = 20s) {
    if (pid_ <= 0)
      return status_.value_or(-1);
    ::kill(pid_, SIGTERM);
    if (auto status = wait_exit(deadline))
      return *status;
    kill();
    return -1;
  }

  /// SIGKILL to the whole process group, and reaps the process.
  void kill() {
    if (pid_ <= 0)
      return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    reaped(raw);
  }

  reply send(const std::string& method, const std::string& path,
             const std::string& body = {}, const headers& extra = {}) const {
    return http_request(port_, method, path, body, extra);
  }

  reply get(const std::string& path) const { return send("GET", path); }

  reply post(const std::string& path, const std::string& body = {},
             const headers& extra = {}) const {
    return send("POST", path, body, extra);
  }

  reply del(const std::string& path, const std::string& body = {}) const {
    return send("DELETE", path, body);
  }

private:
  void reaped(int raw) {
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    pid_ = 0;
  }

  // Only async-signal-safe calls between fork and exec.
  [[noreturn]] static void exec_child(char** argv, const char* dir,
                                      int log_fd) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0u, 0);
    // In its own dir: no stray caf-application.ini, no ./data elsewhere.
    if (::chdir(dir) != 0)
      ::_exit(126);
    ::execv(argv[0], argv);
    ::_exit(127);
  }

  std::filesystem::path dir_;
  uint16_t port_;
  options base_;
  pid_t pid_ = 0;
  std::optional<int> status_;
};

} // namespace tmx::test

// Drives tests/fake_adb.py, the fake adb server, from a C++ test: starts it
// on a port, sends it commands (plug a phone in, unplug it, ...) and waits
// for each to take effect; kills it when the test is done.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace tmx::test {

class fake_adb_process {
public:
  /// Starts the fake on `port` (0 = a free one), writing what the phones
  /// were told to do to `events` ("" = nowhere).
  explicit fake_adb_process(uint16_t port = 0, std::string events = {}) {
    start(port, std::move(events));
  }

  fake_adb_process(const fake_adb_process&) = delete;
  fake_adb_process& operator=(const fake_adb_process&) = delete;

  ~fake_adb_process() { kill(); }

  uint16_t port() const { return port_; }

  /// Sends one command and waits for its "ok" (the device lists are pushed
  /// to every tracking client by then).
  void command(const std::string& line) {
    auto text = line + "\n";
    if (::write(in_, text.data(), text.size())
        != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("fake adb: cannot write '" + line + "'");
    auto answer = read_line(std::chrono::seconds(10));
    if (answer != "ok")
      throw std::runtime_error("fake adb: '" + line + "' -> '" + answer + "'");
  }

  /// Kills it at once (as a crashing adb server); the port is free after.
  void kill() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(in_);
    ::close(out_);
    pid_ = 0;
  }

  /// Starts it again on the same port.
  void restart() {
    kill();
    start(port_, events_);
  }

private:
  void start(uint16_t port, std::string events) {
    ::signal(SIGPIPE, SIG_IGN); // a fake that died fails a test, not us
    events_ = std::move(events);
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0
        || ::pipe2(from_child, O_CLOEXEC) != 0)
      throw std::runtime_error("fake adb: pipe failed");
    std::string script = TMX_SOURCE_DIR "/tests/fake_adb.py";
    std::string port_text = std::to_string(port);
    std::vector<std::string> args{"python3", script, "--port", port_text};
    if (!events_.empty()) {
      args.push_back("--events");
      args.push_back(events_);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    if (pid < 0)
      throw std::runtime_error("fake adb: fork failed");
    pid_ = pid;
    in_ = to_child[1];
    out_ = from_child[0];
    auto first = read_line(std::chrono::seconds(10));
    if (first.rfind("port ", 0) != 0)
      throw std::runtime_error("fake adb did not start: '" + first + "'");
    port_ = static_cast<uint16_t>(std::stoi(first.substr(5)));
  }

  std::string read_line(std::chrono::milliseconds deadline) {
    std::string line;
    auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0
          || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return "(no answer in time)";
      char buf[256];
      auto n = ::read(out_, buf, sizeof(buf));
      if (n <= 0)
        return "(fake adb ended)";
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = 0;
  int in_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  std::string events_;
  std::string buffer_;
};

} // namespace tmx::test

// Runs a script as a child process: a small "shepherd" process (see
// shepherd.hpp) leads the script's process group, reports how the script
// ended and takes the whole group down with it, so no script process
// outlives its run or its host. Here: the watcher thread that forks it,
// feeds stdin, collects output lines, delivers terminate orders and reaps.
#include "host/script_process.hpp"

#include "host/output_lines.hpp"
#include "host/shepherd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace tmx::host {

namespace {

using clock_type = std::chrono::steady_clock;
using detail::exec_plan;
using detail::now_ms;
using detail::output_batch;
using detail::status_record;
using std::chrono::milliseconds;

// A process that escaped the group (setsid) may keep the output pipes open;
// it gets this long after the shepherd is gone.
constexpr milliseconds drain_limit{200};

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

// A descriptor closed once; -1 when closed (poll skips it).
struct unique_fd {
  int fd = -1;
  unique_fd() = default;
  explicit unique_fd(int f) : fd(f) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(unique_fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~unique_fd() { reset(); }
  void reset() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  explicit operator bool() const { return fd >= 0; }
};

// CLOEXEC always: another thread may fork and exec a script at any moment,
// and it must not inherit our ends.
bool open_pipe(unique_fd& read_end, unique_fd& write_end, int flags = 0) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | flags) != 0)
    return false;
  read_end = unique_fd(fds[0]);
  write_end = unique_fd(fds[1]);
  return true;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// One output stream of the script: its pipe and the lines read from it.
struct output_pipe {
  unique_fd pipe;
  detail::line_splitter splitter;

  explicit output_pipe(bool is_stderr) : splitter(is_stderr) {}

  void close(int64_t at, output_batch& b) {
    splitter.finish(at, b);
    pipe.reset();
  }

  void read_some(size_t max, output_batch& b) {
    char buf[65536];
    ssize_t n = ::read(pipe.fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return;
    int64_t at = now_ms();
    if (n > 0)
      splitter.feed({buf, static_cast<size_t>(n)}, at, max, b);
    else
      close(at, b);
  }
};

std::optional<std::string> unusable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "not found" : errno_text(errno);
  if (!S_ISREG(st.st_mode))
    return "not a regular file";
  if (::access(path.c_str(), X_OK) != 0)
    return "not executable";
  return std::nullopt;
}

process_exit not_started(std::string why) {
  return {false, std::move(why), false, 0, 0};
}

process_exit exit_from(int status) {
  bool exited = WIFEXITED(status);
  return {true,
          {},
          exited,
          exited ? WEXITSTATUS(status) : 0,
          WIFSIGNALED(status) ? WTERMSIG(status) : 0};
}

} // namespace

struct script_process::impl {
  process_spec spec;
  process_limits limits;
  lines_fn lines;
  ended_fn ended;
  std::thread watcher;
  unique_fd wake_read, wake_write; // terminate and destructor -> watcher
  std::mutex mutex;                // guards the two below
  bool term_requested = false;
  std::optional<clock_type::time_point> kill_at;

  // A grace: SIGTERM now, SIGKILL after it; none: SIGKILL now.
  void request(std::optional<milliseconds> grace) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto at = clock_type::now() + grace.value_or(milliseconds{0});
      term_requested = term_requested || grace.has_value();
      kill_at = kill_at ? std::min(*kill_at, at) : at;
    }
    char c = 0; // a full pipe already means "look"
    if (wake_write && ::write(wake_write.fd, &c, 1) < 0) {
    }
  }

  void run() {
    // Writing to a stdin whose reader is gone must give EPIPE, not kill the
    // host: SIGPIPE is blocked in this thread only (a write's SIGPIPE goes
    // to the writing thread); the process-wide disposition is untouched.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
    process_exit result = watch();
    if (ended)
      ended(std::move(result));
  }

  void flush(output_batch& b) {
    if (!b.lines.empty() && lines)
      lines(b.take());
  }

  process_exit watch();
};

process_exit script_process::impl::watch() {
  if (!wake_read)
    return not_started("cannot create a pipe");
  if (auto why = unusable(spec.executable))
    return not_started(*why);
  unique_fd in_r, in, out_w, err_w, status, status_w;
  output_pipe out(false), err(true);
  if (!open_pipe(in_r, in) || !open_pipe(out.pipe, out_w)
      || !open_pipe(err.pipe, err_w) || !open_pipe(status, status_w))
    return not_started("cannot create a pipe: " + errno_text(errno));
  exec_plan plan;
  detail::plan_exec(plan, spec, {in_r.fd, out_w.fd, err_w.fd, status_w.fd});
  pid_t pid = ::fork(); // the shepherd, whose pid is the group's id
  if (pid == 0)
    detail::shepherd(plan);
  int fork_errno = errno;
  in_r.reset(), out_w.reset(), err_w.reset(), status_w.reset();
  if (pid < 0)
    return not_started("cannot fork: " + errno_text(fork_errno));
  ::setpgid(pid, pid); // so that a kill(-pid) right now reaches the group
  for (int fd : {in.fd, out.pipe.fd, err.pipe.fd, status.fd})
    set_nonblocking(fd);
  if (spec.stdin_data.empty())
    in.reset();

  output_batch pending;
  pending.cap = std::max<size_t>(limits.max_batch_lines, 1);
  size_t max_line = std::max<size_t>(limits.max_line_bytes, 1);
  size_t written = 0;
  status_record records[4]; // at most two are ever written
  size_t record_bytes = 0;
  bool term_sent = false, killed = false, reaped = false;
  int shepherd_status = 0;
  clock_type::time_point drain_until;
  auto interval = std::max(limits.flush_interval, milliseconds{1});
  auto next_flush = clock_type::now() + interval;

  auto draining = [&] {
    return (out.pipe || err.pipe) && clock_type::now() < drain_until;
  };
  while (!reaped || draining()) {
    // Orders first: each request() is followed by a wake-up, so poll below
    // returns and this runs again.
    auto now = clock_type::now();
    std::optional<clock_type::time_point> kill_deadline;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (term_requested && !term_sent && !reaped)
        ::kill(-pid, SIGTERM);
      term_sent = term_requested;
      kill_deadline = kill_at;
    }
    if (kill_deadline && *kill_deadline <= now && !killed && !reaped) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    if (now >= next_flush) {
      flush(pending);
      next_flush = now + interval;
    }
    auto deadline = next_flush;
    if (kill_deadline && !killed && !reaped)
      deadline = std::min(deadline, *kill_deadline);
    if (reaped)
      deadline = std::min(deadline, drain_until);
    auto wait = std::chrono::ceil<milliseconds>(deadline - now).count();
    // Closed descriptors are -1, which poll skips.
    pollfd fds[] = {{wake_read.fd, POLLIN, 0},
                    {status.fd, POLLIN, 0},
                    {out.pipe.fd, POLLIN, 0},
                    {err.pipe.fd, POLLIN, 0},
                    {in.fd, POLLOUT, 0}};
    ::poll(fds, 5, static_cast<int>(std::max<int64_t>(wait, 0)));

    char drain[64];
    if (fds[0].revents)
      while (::read(wake_read.fd, drain, sizeof drain) > 0)
        continue;
    if (fds[4].revents) {
      ssize_t w = ::write(in.fd, spec.stdin_data.data() + written,
                          spec.stdin_data.size() - written);
      if (w > 0)
        written += static_cast<size_t>(w);
      // EPIPE (the script closed its stdin) or all written: done either way.
      if ((w < 0 && errno != EAGAIN && errno != EINTR)
          || written == spec.stdin_data.size())
        in.reset();
    }
    if (fds[2].revents)
      out.read_some(max_line, pending);
    if (fds[3].revents)
      err.read_some(max_line, pending);
    if (fds[1].revents) {
      auto dst = reinterpret_cast<char*>(records) + record_bytes;
      ssize_t r = ::read(status.fd, dst, sizeof records - record_bytes);
      if (r > 0) {
        record_bytes += static_cast<size_t>(r);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        // End of file: the shepherd is gone or going. Wait without reaping
        // first, so the group id cannot be reused before the last kill.
        status.reset();
        siginfo_t info{};
        ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &shepherd_status, 0) < 0 && errno == EINTR)
          continue;
        reaped = true;
        drain_until = clock_type::now() + drain_limit;
        in.reset();
      }
    }
  }
  for (output_pipe* r : {&out, &err})
    if (r->pipe) // held open by a process that escaped the group
      r->close(now_ms(), pending);
  flush(pending);

  size_t n = record_bytes / sizeof(status_record);
  for (size_t i = 0; i < n; ++i)
    if (records[i].kind == detail::spawn_failed)
      return not_started("cannot execute: " + errno_text(records[i].value));
  for (size_t i = 0; i < n; ++i)
    if (records[i].kind == detail::script_ended)
      return exit_from(records[i].value);
  return exit_from(shepherd_status); // the shepherd itself was killed
}

std::unique_ptr<script_process> script_process::start(process_spec spec,
                                                      process_limits limits,
                                                      lines_fn lines,
                                                      ended_fn ended) {
  auto p = std::make_unique<impl>();
  p->spec = std::move(spec);
  p->limits = limits;
  p->lines = std::move(lines);
  p->ended = std::move(ended);
  open_pipe(p->wake_read, p->wake_write, O_NONBLOCK);
  impl* raw = p.get();
  std::unique_ptr<script_process> self(new script_process(std::move(p)));
  raw->watcher = std::thread([raw] { raw->run(); });
  return self;
}

script_process::script_process(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

void script_process::terminate(std::chrono::milliseconds grace) {
  impl_->request(std::max(grace, milliseconds{0}));
}

// Must not run on the watcher thread (from a callback): it joins it.
script_process::~script_process() {
  impl_->request(std::nullopt);
  if (impl_->watcher.joinable())
    impl_->watcher.join();
}

} // namespace tmx::host

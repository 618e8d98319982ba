// The shepherd and the script child of a run (see shepherd.hpp). From the
// fork on, only async-signal-safe calls: the host has other threads.
#include "host/shepherd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

extern char** environ;

namespace tmx::host::detail {

namespace {

std::string key_of(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

} // namespace

void plan_exec(exec_plan& plan, process_spec& spec,
               std::array<int, 4> child_fds) {
  std::set<std::string> overridden;
  for (const auto& e : spec.env)
    overridden.insert(key_of(e));
  // The host sets its environment up at start-up, before any run.
  for (char** e = environ; e && *e; ++e)
    if (!overridden.count(key_of(*e)))
      plan.env.emplace_back(*e);
  plan.env.insert(plan.env.end(), spec.env.begin(), spec.env.end());
  for (auto& e : plan.env)
    plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.argv.push_back(spec.executable.data());
  for (auto& a : spec.args)
    plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  plan.host = ::getpid();
  plan.child_fds = child_fds;
}

// --- the children: async-signal-safe calls only from here on ---------------

namespace {

void report(int fd, int32_t kind, int32_t value) {
  status_record r{kind, value};
  while (::write(fd, &r, sizeof r) < 0 && errno == EINTR)
    continue;
}

// The shepherd's PDEATHSIG: the host is gone, so is every process of the run.
void on_host_gone(int) {
  ::kill(0, SIGKILL);
}

void set_disposition(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(sig, &sa, nullptr);
}

[[noreturn]] void run_script(const exec_plan& plan, pid_t shepherd) {
  set_disposition(SIGTERM, SIG_DFL);
  set_disposition(SIGHUP, SIG_DFL);
  // Survives the script's exec; if the shepherd died before this point the
  // script must not run at all.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != shepherd)
    ::_exit(127);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  report(3, spawn_failed, errno);
  ::_exit(127);
}

} // namespace

[[noreturn]] void shepherd(const exec_plan& plan) {
  ::setpgid(0, 0);
  // The script's descriptors go to 0..3 (moved out of the way first, as a
  // host with closed stdio may have them there); all other descriptors of
  // the host are closed, or a sibling script's stdin would never see EOF.
  int moved[4];
  for (int i = 0; i < 4; ++i)
    moved[i] = ::fcntl(plan.child_fds[i], F_DUPFD, 10);
  for (int i = 0; i < 4; ++i)
    ::dup2(moved[i], i);
  ::fcntl(3, F_SETFD, FD_CLOEXEC); // the status pipe never reaches the script
  if (::close_range(4, ~0U, 0) != 0) {
    struct rlimit lim {};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    for (rlim_t fd = 4; fd < std::min<rlim_t>(lim.rlim_cur, 65536); ++fd)
      ::close(static_cast<int>(fd));
  }
  // The host's handlers are meaningless here; SIGTERM to the group is for
  // the script, and SIGHUP is how we learn that the host died.
  for (int sig = 1; sig < NSIG; ++sig)
    set_disposition(sig, SIG_DFL);
  set_disposition(SIGTERM, SIG_IGN);
  set_disposition(SIGHUP, on_host_gone);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Fires when the forking thread ends; the watcher lives until we are
  // reaped, so in practice: when the host process dies.
  ::prctl(PR_SET_PDEATHSIG, SIGHUP);
  if (::getppid() != plan.host)
    ::kill(0, SIGKILL);
  pid_t self = ::getpid();
  // _Fork: no atfork handlers in a child of a multi-threaded process.
  pid_t script = ::_Fork();
  if (script == 0)
    run_script(plan, self);
  if (script < 0) {
    report(3, spawn_failed, errno);
    ::_exit(127);
  }
  for (int fd = 0; fd < 3; ++fd)
    ::close(fd); // the pipes close when the script's processes are gone
  int status = 0;
  while (::waitpid(script, &status, 0) < 0 && errno == EINTR)
    continue;
  report(3, script_ended, status);
  ::kill(0, SIGKILL); // the script's leftover children, and ourselves
  ::_exit(0);
}

} // namespace tmx::host::detail

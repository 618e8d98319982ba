// Tests of host/: script processes (output, exit, bounded memory, no process
// left behind, not even when the host is SIGKILLed) and the simulated screen.
#define BOOST_TEST_MODULE host_process
#include <boost/test/unit_test.hpp>

#include "tests/eventually.hpp"

#include "host/screen_image.hpp"
#include "host/script_process.hpp"

#include <png.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifdef __SANITIZE_ADDRESS__
// ASan keeps freed memory in a quarantine (256 MB by default), which would
// count as peak RSS; a small one keeps the memory bound below meaningful.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=4";
}
#endif

using namespace tmx::host;
using tmx::test::eventually;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

struct temp_dir {
  std::string path;

  temp_dir() {
    char name[] = "/tmp/tmx-host-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }

  std::string file(const std::string& name, const std::string& text,
                   mode_t mode = 0755) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }

  // A sh script that runs in this directory.
  std::string script(const std::string& name, const std::string& body) const {
    return file(name, "#!/bin/sh\ncd '" + path + "'\n" + body);
  }

  // The numbers a script wrote to `name` (written to a temporary file and
  // renamed, so they appear all at once).
  std::vector<pid_t> pids(const std::string& name, size_t n) const {
    std::vector<pid_t> out;
    eventually([&] {
      std::ifstream in(path + "/" + name);
      out.clear();
      for (pid_t p; in >> p;)
        out.push_back(p);
      return out.size() == n;
    });
    BOOST_REQUIRE_EQUAL(out.size(), n);
    return out;
  }
};

// Dead, or a zombie waiting for its reaper (init reaps the orphans).
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return errno == ESRCH;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto end = stat.rfind(')');
  return end == std::string::npos
         || (end + 2 < stat.size() && stat[end + 2] == 'Z');
}

bool all_gone(const std::vector<pid_t>& pids) {
  for (pid_t p : pids)
    if (!gone(p))
      return false;
  return true;
}

// What one run reported; `keep` false only counts (for floods of output).
struct recorder {
  std::mutex mutex;
  bool keep = true;
  std::vector<output_line> lines;
  size_t total = 0; // lines printed: kept ones plus those a marker counts
  size_t longest = 0;
  std::vector<size_t> batch_sizes;
  int ended_calls = 0;
  bool lines_after_end = false;
  process_exit exit;

  std::unique_ptr<script_process> run(const std::string& path,
                                      process_limits limits = fast(),
                                      process_spec spec = {}) {
    spec.executable = path;
    return script_process::start(
      std::move(spec), limits,
      [this](std::vector<output_line> batch) { on_lines(std::move(batch)); },
      [this](process_exit e) {
        std::lock_guard<std::mutex> lock(mutex);
        ++ended_calls;
        exit = e;
      });
  }

  void on_lines(std::vector<output_line> batch) {
    std::lock_guard<std::mutex> lock(mutex);
    lines_after_end = lines_after_end || ended_calls > 0;
    batch_sizes.push_back(batch.size());
    for (auto& l : batch) {
      size_t dropped = 0;
      char close = 0;
      if (!l.is_stderr
          && std::sscanf(l.text.c_str(), "[%zu lines not kept%c", &dropped,
                         &close)
               == 2
          && close == ']')
        total += dropped;
      else
        ++total;
      longest = std::max(longest, l.text.size());
      if (keep)
        lines.push_back(std::move(l));
    }
  }

  bool ended() {
    std::lock_guard<std::mutex> lock(mutex);
    return ended_calls > 0;
  }

  process_exit wait_end(std::chrono::milliseconds limit = 5s) {
    BOOST_REQUIRE(eventually([&] { return ended(); }, limit));
    std::lock_guard<std::mutex> lock(mutex);
    return exit;
  }

  std::vector<std::string> texts(bool is_stderr) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> out;
    for (const auto& l : lines)
      if (l.is_stderr == is_stderr)
        out.push_back(l.text);
    return out;
  }

  bool saw(const std::string& text) {
    auto out = texts(false);
    return std::find(out.begin(), out.end(), text) != out.end();
  }

  static process_limits fast() {
    process_limits l;
    l.flush_interval = 20ms;
    return l;
  }
};

using strings = std::vector<std::string>;

size_t open_descriptors() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

long peak_rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(output_lines_arrive_in_order_per_stream) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(dir.script("s", "echo out1\necho err1 >&2\necho out2\n"
                                   "printf 'crlf\\r\\n'\necho err2 >&2\n"
                                   "printf partial\n"));
  auto e = rec.wait_end();
  BOOST_TEST(e.started);
  BOOST_TEST(e.exited);
  BOOST_TEST(e.code == 0);
  BOOST_TEST(rec.texts(false) == (strings{"out1", "out2", "crlf", "partial"}),
             boost::test_tools::per_element());
  BOOST_TEST(rec.texts(true) == (strings{"err1", "err2"}),
             boost::test_tools::per_element());
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  for (const auto& l : rec.lines)
    BOOST_TEST(std::abs(l.at - now) < 60000);
  p.reset();
  BOOST_TEST(rec.ended_calls == 1);
  BOOST_TEST(!rec.lines_after_end);
}

BOOST_AUTO_TEST_CASE(stdin_args_and_environment) {
  temp_dir dir;
  recorder rec;
  process_spec spec;
  spec.args = {"a b", "c"};
  spec.env = {"TMX_X=1", "HOME=/override"};
  spec.stdin_data = R"({"serial":"abc","n":1})";
  auto p = rec.run(dir.script("s", "cat; echo\necho \"$1|$2\"\n"
                                   "echo \"x=$TMX_X home=$HOME\"\n"
                                   "test -n \"$PATH\" && echo path\n"),
                   recorder::fast(), spec);
  BOOST_TEST(rec.wait_end().code == 0);
  BOOST_TEST(rec.texts(false)
               == (strings{spec.stdin_data, "a b|c", "x=1 home=/override",
                           "path"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(large_stdin_read_or_ignored) {
  temp_dir dir;
  process_spec spec;
  spec.stdin_data = std::string(1000000, 'j');
  recorder reads;
  auto p = reads.run(dir.script("r", "wc -c\n"), recorder::fast(), spec);
  recorder ignores; // the pipe breaks: EPIPE, and the host lives on
  auto q = ignores.run(dir.script("i", "exit 0\n"), recorder::fast(), spec);
  BOOST_TEST(reads.wait_end().code == 0);
  BOOST_TEST(reads.texts(false) == strings{"1000000"},
             boost::test_tools::per_element());
  BOOST_TEST(ignores.wait_end().code == 0);
}

// Each shepherd closes the host's descriptors, or a script started while a
// sibling's stdin was open would keep that stdin from ever ending.
BOOST_AUTO_TEST_CASE(concurrent_scripts_each_see_their_stdin_end) {
  temp_dir dir;
  std::string path = dir.script("s", "cat\n");
  size_t fds_before = open_descriptors();
  std::vector<std::unique_ptr<recorder>> recs;
  std::vector<std::unique_ptr<script_process>> runs;
  for (int i = 0; i < 20; ++i) {
    process_spec spec;
    spec.stdin_data = "run " + std::to_string(i);
    recs.push_back(std::make_unique<recorder>());
    runs.push_back(recs.back()->run(path, recorder::fast(), spec));
  }
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST(recs[i]->wait_end().code == 0);
    BOOST_TEST(recs[i]->texts(false) == strings{"run " + std::to_string(i)},
               boost::test_tools::per_element());
  }
  runs.clear();
  BOOST_TEST(open_descriptors() == fds_before);
}

BOOST_AUTO_TEST_CASE(exit_code_and_signal) {
  temp_dir dir;
  recorder three, killed;
  auto p = three.run(dir.script("three", "exit 3\n"));
  auto q = killed.run(dir.script("killed", "kill -USR1 $$\nsleep 5\n"));
  auto e = three.wait_end();
  BOOST_TEST((e.started && e.exited && e.code == 3));
  e = killed.wait_end();
  BOOST_TEST((e.started && !e.exited && e.signal == SIGUSR1));
}

BOOST_AUTO_TEST_CASE(not_started_is_reported_promptly) {
  temp_dir dir;
  struct bad {
    std::string path, error;
  };
  std::vector<bad> cases = {
    {dir.path + "/missing", "not found"},
    {dir.path, "not a regular file"},
    {dir.file("plain", "#!/bin/sh\n", 0644), "not executable"},
    {dir.file("interp", "#!/nonexistent/sh\n"), "No such file"},
  };
  for (const auto& c : cases) {
    recorder rec;
    auto p = rec.run(c.path);
    auto e = rec.wait_end(2s);
    BOOST_TEST(!e.started, c.path);
    BOOST_TEST(e.error.find(c.error) != std::string::npos, e.error);
    BOOST_TEST(rec.lines.empty());
  }
}

BOOST_AUTO_TEST_CASE(batches_keep_the_newest_lines) {
  temp_dir dir;
  recorder rec;
  process_limits limits;
  limits.flush_interval = 10s; // everything arrives in the flush at the end
  limits.max_batch_lines = 100;
  auto p = rec.run(dir.script("s", "seq 1 5000\n"), limits);
  BOOST_TEST(rec.wait_end().code == 0);
  BOOST_TEST(rec.batch_sizes == std::vector<size_t>{100},
             boost::test_tools::per_element());
  auto out = rec.texts(false);
  BOOST_REQUIRE_EQUAL(out.size(), 100u);
  BOOST_TEST(out.front() == "[4901 lines not kept]");
  BOOST_TEST(out[1] == "4902");
  BOOST_TEST(out.back() == "5000");
}

BOOST_AUTO_TEST_CASE(floods_of_output_keep_memory_bounded) {
  temp_dir dir;
  long before = peak_rss_kb();
  struct flood {
    std::string body;
    size_t lines, longest;
  };
  std::string xs = "head -c 100000000 /dev/zero | tr '\\0' x";
  for (const flood& f : {flood{xs + "\n", 1, 4096},
                         flood{xs + " | fold -w 10000\n", 10000, 4096},
                         flood{"yes | head -c 100000000\n", 50000000, 1}}) {
    recorder rec;
    rec.keep = false;
    auto p = rec.run(dir.script("s", f.body));
    BOOST_TEST(rec.wait_end(60s).code == 0, f.body);
    BOOST_TEST(rec.total == f.lines, f.body);
    if (f.longest > 1) // else a marker line is the longest
      BOOST_TEST(rec.longest == f.longest, f.body);
    BOOST_TEST(rec.longest <= 4096u, f.body);
  }
  long growth_kb = peak_rss_kb() - before;
  BOOST_TEST_MESSAGE("peak RSS growth " << growth_kb << " kB");
  BOOST_TEST(growth_kb < 50 * 1024);
}

BOOST_AUTO_TEST_CASE(terminate_kills_a_script_ignoring_sigterm) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(
    dir.script("s", "trap '' TERM\necho ready\nwhile :; do sleep 0.1; done\n"));
  BOOST_REQUIRE(eventually([&] { return rec.saw("ready"); }));
  auto asked = steady_clock::now();
  p->terminate(300ms);
  auto e = rec.wait_end();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                steady_clock::now() - asked)
                .count();
  BOOST_TEST((e.started && !e.exited && e.signal == SIGKILL));
  BOOST_TEST(took >= 300);
  BOOST_TEST(took < 2000);
}

BOOST_AUTO_TEST_CASE(terminate_takes_the_scripts_children) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(dir.script("s", "sleep 1000 & a=$!\nsleep 1000 & b=$!\n"
                                   "echo $$ $a $b > t && mv t pids\nwait\n"));
  auto pids = dir.pids("pids", 3);
  p->terminate(300ms);
  auto e = rec.wait_end();
  BOOST_TEST((e.started && e.signal == SIGTERM));
  BOOST_TEST(eventually([&] { return all_gone(pids); }));
}

BOOST_AUTO_TEST_CASE(no_child_lingers_after_the_script_exits) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(dir.script("s", "sleep 1000 &\necho $! > t && mv t pids\n"
                                   "exit 0\n"));
  auto e = rec.wait_end();
  BOOST_TEST((e.exited && e.code == 0));
  auto pids = dir.pids("pids", 1);
  BOOST_TEST(eventually([&] { return all_gone(pids); }));
}

BOOST_AUTO_TEST_CASE(destructor_ends_the_group_and_reports) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(dir.script("s", "sleep 1000 &\n"
                                   "echo $$ $! > t && mv t pids\nwait\n"));
  auto pids = dir.pids("pids", 2);
  p.reset();
  BOOST_TEST(rec.ended_calls == 1); // before the destructor returned
  BOOST_TEST(rec.exit.signal == SIGKILL);
  BOOST_TEST(eventually([&] { return all_gone(pids); }));
}

BOOST_AUTO_TEST_CASE(stopped_right_after_start) {
  temp_dir dir;
  std::string path = dir.script("s", "exec sleep 1000\n");
  for (int i = 0; i < 20; ++i) {
    recorder rec;
    auto p = rec.run(path);
    if (i % 2)
      p->terminate(0ms);
    p.reset();
    BOOST_TEST(rec.ended_calls == 1);
  }
}

// A process that left the group (setsid) keeps stdout open: the run still
// ends soon after the script, without waiting for it.
BOOST_AUTO_TEST_CASE(an_escaped_process_does_not_hold_the_run) {
  temp_dir dir;
  recorder rec;
  auto p = rec.run(dir.script("s", "setsid sleep 1000 &\n"
                                   "echo $! > t && mv t pids\necho done\n"));
  auto escaped = dir.pids("pids", 1);
  bool ended = eventually([&] { return rec.ended(); }, 2s);
  ::kill(escaped[0], SIGKILL);
  BOOST_REQUIRE(ended);
  BOOST_TEST((rec.exit.exited && rec.exit.code == 0));
  BOOST_TEST(rec.saw("done"));
}

BOOST_AUTO_TEST_CASE(a_killed_host_takes_its_scripts_along) {
  temp_dir dir;
  std::string path = dir.script(
    "s", "sleep 1000 &\necho $$ $PPID $! > t && mv t pids\nwait\n");
  pid_t host = ::fork();
  BOOST_REQUIRE(host >= 0);
  if (host == 0) { // a stand-in host: starts the script, then waits forever
    process_spec spec;
    spec.executable = path;
    auto p = script_process::start(spec, {}, nullptr, nullptr);
    for (;;)
      ::pause();
  }
  auto pids = dir.pids("pids", 3); // script, shepherd, the script's child
  ::kill(host, SIGKILL);
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(host, &status, 0), host);
  BOOST_TEST(eventually([&] { return all_gone(pids); }));
}

BOOST_AUTO_TEST_CASE(screen_image_is_a_stable_png) {
  std::string idle = sim_screen_png("emulator-5554", "idle");
  std::string busy = sim_screen_png("emulator-5554", "task 12 post #3");
  BOOST_REQUIRE_GT(idle.size(), 33u);
  BOOST_TEST(idle.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  auto be32 = [&](size_t at) {
    auto b = [&](size_t i) { return uint32_t(uint8_t(idle[at + i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  };
  BOOST_TEST(idle.compare(12, 4, "IHDR") == 0);
  BOOST_TEST(be32(16) == 360u);
  BOOST_TEST(be32(20) == 640u);
  BOOST_TEST(idle != busy);
  BOOST_TEST(idle == sim_screen_png("emulator-5554", "idle"));
  BOOST_TEST(idle != sim_screen_png("R58M123ABC", "idle"));

  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  BOOST_REQUIRE(
    png_image_begin_read_from_memory(&image, idle.data(), idle.size()));
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(image));
  BOOST_REQUIRE(png_image_finish_read(&image, nullptr, px.data(), 0, nullptr));
  BOOST_TEST(image.width == 360u);
  BOOST_TEST(image.height == 640u);
  size_t white = 0;
  for (size_t i = 0; i < px.size(); i += 3)
    white += px[i] == 255 && px[i + 1] == 255 && px[i + 2] == 255;
  BOOST_TEST(white > 100u); // text was drawn
  BOOST_TEST(px[0] >= 64);  // a mid-tone background
  BOOST_TEST(px[0] < 160);
}

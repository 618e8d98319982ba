// Black-box tests of tmxctl: the program against a real tmx-server process
// (every live command, tables and --json, exit codes, watch) and against
// data directories written by one (db info, check, dump), clean or with
// inconsistencies injected through the store's test hook.
#define BOOST_TEST_MODULE tmxctl
#include <boost/test/unit_test.hpp>

#include "tests/server_process.hpp"

#include "storage/store.hpp"

#include <pty.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

using ids = std::vector<uint64_t>;
using args = std::vector<std::string>;

/// Due far in the future: such a task stays pending for the whole test.
const std::string later = "2090-01-01T00:00:00+00:00";

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

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<char*> argv_of(args& a) {
  std::vector<char*> argv;
  for (auto& s : a)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

/// The child's side: a clean environment for tmxctl, then exec.
[[noreturn]] void exec_tmxctl(char** argv, const options& env) {
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
int wait_child(pid_t pid, const std::function<bool()>& interrupt_when = {}) {
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
result tmxctl(const args& arguments, const options& env = {},
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
result tmxctl_on_tty(const args& arguments) {
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

void check_same_json(const rapidjson::Value& got,
                     const rapidjson::Value& want) {
  BOOST_TEST(!got.IsNull());
  BOOST_TEST((got == want),
             "tmxctl: " << to_json(got) << "\nAPI:    " << to_json(want));
}

std::string joined(const args& a) {
  std::string out;
  for (auto& s : a)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// -- a server -----------------------------------------------------------------

const options base_options{{"sim.devices", "4"},
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

std::string path_of(uint64_t id, const std::string& action = "") {
  return "/task/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
}

} // namespace

// -- command line -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  auto dir = make_temp_dir();
  auto list = (dir / "list.json").string();
  std::ofstream(list) << "[1, 2]";
  for (const args& a : std::vector<args>{
         {},
         {"bogus"},
         {"tasks", "--status", "sleeping"},
         {"tasks", "--limit", "101"},
         {"tasks", "--page", "0"},
         {"tasks", "--source", "cli"},
         {"task"},
         {"task", "x"},
         {"stop"},
         {"stop", "1", "x"},
         {"delete", "3-1"},
         {"retry", "0"},
         {"create", "--script", "post"},
         {"create", "--serials", "a", "--usernames", "b", "--script", "post"},
         {"create", "--serials", "a"},
         {"create", "--serials", "a", "--script", "post", "--config",
          (dir / "missing.json").string()},
         {"create", "--serials", "a", "--script", "post", "--config", list},
         {"watch", "--interval", "0"},
         {"db"},
         {"db", "dump", "--status", "7"},
         {"--url", "ftp://example.com", "status"}})
    BOOST_TEST_CONTEXT("tmxctl " << joined(a)) {
      auto r = tmxctl(a);
      BOOST_TEST(r.exit == 2);
      BOOST_TEST(!r.err.empty());
      BOOST_TEST(r.out.empty());
    }
  auto help = tmxctl({"--help"});
  BOOST_TEST(help.exit == 0);
  BOOST_TEST(contains(help.out, "db"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(unreachable_server_exits_1) {
  auto url = "http://127.0.0.1:" + std::to_string(free_port());
  for (const args& a : std::vector<args>{
         {"status"}, {"tasks", "--json"}, {"stop", "1"}, {"watch", "--once"}})
    BOOST_TEST_CONTEXT(a[0]) {
      auto all = a;
      all.insert(all.begin(), {"--url", url});
      auto r = tmxctl(all);
      BOOST_TEST(r.exit == 1);
      BOOST_TEST(contains(r.err + r.out, "cannot reach " + url), r.err);
    }
}

// -- live commands ------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(status_table_and_json, busy_server) {
  auto r = ctl({"status"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(contains(r.line_with("licence"), "Pro"));
  BOOST_TEST(contains(r.line_with("tasks"),
                      "8 total: 3 pending, 0 running, 3 completed, 2 failed"),
             r.out);
  BOOST_TEST(contains(r.line_with("nodes"), "1: 1 online"));
  BOOST_TEST(contains(r.line_with("devices"), "4: 0 busy, 4 online"));
  BOOST_TEST(r.out.find('\x1b') == std::string::npos); // no terminal

  auto j = ctl({"status", "--json"});
  BOOST_TEST(j.exit == 0);
  auto doc = j.json();
  check_same_json(member(doc, "license"), api("/license/check"));
  check_same_json(member(doc, "stats"), api("/task/stats"));
  check_same_json(member(doc, "nodes"), member(api("/node"), "nodes"));
  check_same_json(member(doc, "devices"), member(api("/device"), "devices"));
}

BOOST_FIXTURE_TEST_CASE(tasks_json_equals_the_api_list, busy_server) {
  check_same_json(ctl({"tasks", "--json"}).json(), api("/task"));
  check_same_json(ctl({"--json", "tasks", "--status", "pending", "--serial",
                       "sim-0001"})
                    .json(),
                  api("/task?status=0&serial=sim-0001"));
  check_same_json(ctl({"tasks", "--json", "--script", "post", "--source", "api",
                       "--page", "2", "--limit", "3"})
                    .json(),
                  api("/task?script_name=post&source=api&page=2&page_size=3"));
  check_same_json(ctl({"tasks", "--json", "--status", "3"}).json(),
                  api("/task?status=3"));
}

BOOST_FIXTURE_TEST_CASE(tasks_table, busy_server) {
  auto r = ctl({"tasks"});
  BOOST_TEST(r.exit == 0);
  auto lines = r.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1 + 8 + 1u); // header, rows, footer
  BOOST_TEST(contains(lines[0], "ID  STATUS"));
  BOOST_TEST(contains(lines[0], "REMARK"));
  // Newest first; each row holds its task's values.
  auto row = r.line_with(" " + std::to_string(failed.back()) + "  failed");
  BOOST_TEST(contains(row, "sim-0004"), r.out);
  BOOST_TEST(contains(row, "stopped by user"));
  BOOST_TEST(contains(lines[1], std::to_string(failed.back())));
  auto done = r.line_with(std::to_string(completed[0]) + "  completed");
  BOOST_TEST(contains(done, "local"), r.out);
  BOOST_TEST(lines.back() == "tasks 1-8 of 8 (page 1 of 1)");
  // Columns are aligned: every row has STATUS where the header has it.
  auto column = lines[0].find("STATUS");
  for (size_t i = 1; i + 1 < lines.size(); ++i)
    BOOST_TEST(lines[i].find_first_of("pcrf", 3) == column, lines[i]);

  auto paged = ctl(
    {"tasks", "--status", "pending", "--limit", "2", "--page", "2"});
  BOOST_TEST(paged.lines().back() == "tasks 3-3 of 3 (page 2 of 2)");
  auto none = ctl({"tasks", "--serial", "nobody"});
  BOOST_TEST(none.exit == 0);
  BOOST_TEST(none.out == "no tasks\n");
}

BOOST_FIXTURE_TEST_CASE(task_detail_with_log, busy_server) {
  auto id = completed[0];
  auto r = ctl({"task", std::to_string(id)});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(contains(r.line_with("status"), "completed"));
  BOOST_TEST(contains(r.line_with("serial"), "sim-0001"));
  BOOST_TEST(contains(r.line_with("node"), "local"));
  BOOST_TEST(contains(r.out, "\nlog\n"), r.out);
  BOOST_TEST(contains(r.line_with("started on device"), "sim-0001"));

  auto j = ctl({"task", std::to_string(id), "--json"}).json();
  check_same_json(member(j, "task"), api(path_of(id)));
  check_same_json(member(j, "log"), api(path_of(id, "log")));

  auto empty = ctl({"task", std::to_string(pending[0])});
  BOOST_TEST(contains(empty.out, "log (empty)"));

  auto missing = ctl({"task", "999"});
  BOOST_TEST(missing.exit == 1);
  BOOST_TEST(contains(missing.err, "error 40401"), missing.err);
  BOOST_TEST(missing.out.empty());
}

BOOST_FIXTURE_TEST_CASE(devices_nodes_accounts, live_server) {
  auto d = ctl({"devices"});
  BOOST_TEST(d.exit == 0);
  BOOST_TEST(contains(d.lines()[0], "SERIAL"));
  BOOST_TEST(contains(d.line_with("sim-0003"), "online"));
  BOOST_TEST(contains(d.line_with("sim-0003"), "sim-0003-a, sim-0003-b"));
  BOOST_TEST(d.lines().back() == "devices 4: 0 busy, 4 online, 0 offline");
  check_same_json(ctl({"devices", "--json"}).json(), api("/device"));

  auto n = ctl({"nodes"});
  BOOST_TEST(n.exit == 0);
  BOOST_TEST(contains(n.line_with("local"), "online"));
  check_same_json(ctl({"nodes", "--json"}).json(), api("/node"));

  auto a = ctl({"accounts", "--serial", "sim-0002"});
  BOOST_TEST(a.exit == 0);
  BOOST_TEST(contains(a.line_with("sim-0002-b"), "tiktok"));
  BOOST_TEST(a.lines().back() == "accounts 1-2 of 2 (page 1 of 1)");
  check_same_json(ctl({"accounts", "--json"}).json(), api("/account"));
  check_same_json(
    ctl({"accounts", "--json", "--platform", "tiktok", "--enabled", "true",
         "--limit", "3", "--page", "2"})
      .json(),
    api("/account?platform=tiktok&enabled=true&page_size=3&page=2"));
}

BOOST_FIXTURE_TEST_CASE(url_from_the_environment, live_server) {
  auto r = tmxctl({"devices", "--json"}, {{"TMX_URL", url()}});
  BOOST_TEST(r.exit == 0, r.err);
  check_same_json(r.json(), api("/device"));
  // --url wins over the environment.
  auto wrong = tmxctl({"--url", url(), "devices"},
                      {{"TMX_URL", "http://127.0.0.1:1"}});
  BOOST_TEST(wrong.exit == 0);
}

BOOST_AUTO_TEST_CASE(token_from_the_option_or_the_environment) {
  server_process srv(
    {{"sim.devices", "2"}, {"cluster.port", "0"}, {"http.token", "t0ken"}});
  srv.require_start();
  auto url = "http://127.0.0.1:" + std::to_string(srv.port());
  auto none = tmxctl({"--url", url, "devices"});
  BOOST_TEST(none.exit != 0);
  BOOST_TEST(contains(none.err, "40101"), none.err);
  auto option = tmxctl({"--url", url, "--token", "t0ken", "devices"});
  BOOST_TEST(option.exit == 0, option.err);
  BOOST_TEST(contains(option.out, "sim-0002"));
  auto env = tmxctl({"--url", url, "devices"}, {{"TMX_TOKEN", "t0ken"}});
  BOOST_TEST(env.exit == 0, env.err);
  BOOST_TEST(!contains(option.out + option.err + env.err, "t0ken"));
}

BOOST_FIXTURE_TEST_CASE(create_with_a_config_file_is_ui, live_server) {
  auto dir = make_temp_dir();
  auto config = (dir / "post.json").string();
  std::ofstream(config) << R"({"captions": "from tmxctl", "image_count": 2})";
  auto r = ctl({"create", "--serials", "sim-0001,sim-0002", "--script", "post",
                "--config", config, "--start-time", later});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(r.out == "created 2 tasks: 1, 2\n");
  for (uint64_t id : {1, 2}) {
    auto t = api(path_of(id));
    BOOST_TEST(text_of(member(t, "source")) == "ui");
    BOOST_TEST(text_of(member(member(t, "script_config"), "captions"))
               == "from tmxctl");
    BOOST_TEST(int_of(member(member(t, "script_config"), "image_count")) == 2);
    BOOST_TEST(text_of(member(t, "scheduled_at")).rfind("2090-01-01", 0) == 0);
  }
  BOOST_TEST(text_of(member(api(path_of(2)), "serial")) == "sim-0002");

  auto j = ctl({"create", "--usernames", "sim-0003-a", "--script", "follow",
                "--config", "-", "--json", "--start-time", "23:59"});
  // stdin is /dev/null in tmxctl(): an empty config is no JSON object.
  BOOST_TEST(j.exit == 2);
  std::ofstream(config) << R"({"target_users": ["@a", "@b"]})";
  j = ctl({"create", "--usernames", "sim-0003-a", "--script", "follow",
           "--config", config, "--json", "--start-time", "23:59"});
  BOOST_TEST(j.exit == 0, j.err);
  check_same_json(j.json(),
                  parse_json(R"({"task_ids":[3,4],"created_count":2})"));
  auto t = api(path_of(4));
  BOOST_TEST(text_of(member(t, "username")) == "sim-0003-a");
  BOOST_TEST(text_of(member(t, "source")) == "ui");
  BOOST_TEST(!member(t, "scheduled_at").IsNull());

  auto bad = ctl({"create", "--serials", "sim-0001,nope", "--script", "post"});
  BOOST_TEST(bad.exit == 1);
  BOOST_TEST(contains(bad.err, "error 40001"), bad.err);
  BOOST_TEST(contains(bad.err, "nope"), bad.err);
  auto unknown = ctl({"create", "--serials", "sim-0001", "--script", "like"});
  BOOST_TEST(unknown.exit == 1);
  BOOST_TEST(contains(unknown.err, "error 40003"), unknown.err);
  BOOST_TEST(int_of(member(api("/task/stats"), "total")) == 4);
  std::filesystem::remove_all(dir);
}

BOOST_FIXTURE_TEST_CASE(stop_retry_delete_several_ids, live_server) {
  auto list = create({"sim-0001", "sim-0002", "sim-0003", "sim-0004"}, later);
  auto a = std::to_string(list[0]), b = std::to_string(list[1]);
  auto range = std::to_string(list[2]) + "-" + std::to_string(list[3]);

  auto stop = ctl({"stop", a, b, range});
  BOOST_TEST(stop.exit == 0, stop.err);
  BOOST_TEST(stop.lines().size() == 1 + 4u);
  BOOST_TEST(contains(stop.line_with(a + "  failed"), "stopped by user"));
  for (auto id : list)
    BOOST_TEST(status_of(id) == 3);

  auto retry = ctl({"retry", a + "," + b, "--json"});
  BOOST_TEST(retry.exit == 0, retry.err);
  auto retried = retry.json();
  BOOST_REQUIRE(retried.IsArray());
  BOOST_REQUIRE_EQUAL(retried.Size(), 2u);
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    check_same_json(retried[i], api(path_of(list[i])));
    BOOST_TEST(int_of(member(retried[i], "status")) == 0);
    BOOST_TEST(int_of(member(retried[i], "retry_count")) == 1);
  }
  // A pending task cannot be retried: the server's 40901, exit 1, and the
  // other ids are still done.
  auto again = ctl({"retry", a, range});
  BOOST_TEST(again.exit == 1);
  BOOST_TEST(contains(again.err, "retry " + a + ": error 40901"), again.err);
  BOOST_TEST(status_of(list[3]) == 0);

  auto del = ctl({"delete", a, range, "999"});
  BOOST_TEST(del.exit == 1); // 999 did not exist
  BOOST_TEST(del.out == "deleted 3 tasks\n");
  BOOST_TEST(contains(del.err, "not found: 999"), del.err);
  auto rest = ctl({"delete", b, "--json"});
  BOOST_TEST(rest.exit == 0);
  check_same_json(rest.json(),
                  parse_json(R"({"deleted_count":1,"not_found":[]})"));
  BOOST_TEST(int_of(member(api("/task/stats"), "total")) == 0);
  BOOST_TEST(get("/api/v1" + path_of(list[0])).code() == 40401);
}

BOOST_FIXTURE_TEST_CASE(retry_all, live_server) {
  auto list = create({"sim-0001", "sim-0002", "sim-0003"}, later);
  BOOST_REQUIRE_EQUAL(ctl({"stop", "1-3"}).exit, 0);
  auto r = ctl({"retry-all", "--json"});
  BOOST_TEST(r.exit == 0);
  check_same_json(r.json(), parse_json(R"({"retried_count":3})"));
  for (auto id : list)
    BOOST_TEST(status_of(id) == 0);
  BOOST_TEST(ctl({"retry-all"}).out == "retried 0 failed tasks\n");
}

BOOST_FIXTURE_TEST_CASE(server_errors_show_their_code, live_server) {
  // A Starter plan answers every endpoint with 40301.
  terminate();
  require_start({{"license.plan", "Starter"}});
  for (const args& a : std::vector<args>{{"status"},
                                         {"tasks"},
                                         {"retry-all"},
                                         {"create", "--serials", "sim-0001",
                                          "--script", "post"}})
    BOOST_TEST_CONTEXT(a[0]) {
      auto r = ctl(a);
      BOOST_TEST(r.exit == 1);
      BOOST_TEST(contains(r.err, "error 40301: "), r.err);
    }
}

BOOST_FIXTURE_TEST_CASE(watch_refreshes_then_stops, busy_server) {
  auto running = create({"sim-0001"});
  BOOST_REQUIRE(wait_until([&] { return status_of(running[0]) == 1; }, 10s));
  auto r = ctl({"watch", "--once"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(contains(r.lines()[0], "tmx " + url()));
  BOOST_TEST(contains(r.line_with("tasks"), "9 total"), r.out);
  BOOST_TEST(contains(r.line_with("running"), "running"));
  BOOST_TEST(contains(r.line_with("SERIAL    NODE"), "STATE"), r.out);
  BOOST_TEST(contains(r.line_with("sim-0004 "), "online"));
  BOOST_TEST(r.out.find("\x1b[2J") == std::string::npos); // not a terminal

  auto j = ctl({"watch", "--iterations", "2", "--interval", "0.2", "--json"});
  BOOST_TEST(j.exit == 0);
  auto frames = j.lines();
  BOOST_REQUIRE_EQUAL(frames.size(), 2u);
  for (auto& f : frames) {
    auto doc = parse_json(f);
    BOOST_TEST(int_of(member(member(doc, "stats"), "total")) == 9);
    BOOST_TEST(member(doc, "devices").IsArray());
    BOOST_TEST(member(member(doc, "running"), "tasks").IsArray());
  }

  // Without a count it runs until Ctrl-C, and ends well then: interrupted
  // once it has drawn three frames (each one begins with its title line).
  auto drawn = [title = "tmx " + url()](const std::string& out) {
    size_t n = 0;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      n += line.rfind(title, 0) == 0 ? 1 : 0;
    return n;
  };
  auto endless = tmxctl({"--url", url(), "watch", "--interval", "0.2"}, {},
                        [&](const std::string& out) {
                          return drawn(out) >= 3;
                        });
  BOOST_TEST(endless.exit == 0, endless.err);
  BOOST_TEST(drawn(endless.out) >= 3u, endless.out);
  BOOST_TEST(endless.lines().size() > 10u);
}

BOOST_FIXTURE_TEST_CASE(colour_only_on_a_terminal, busy_server) {
  auto tty = tmxctl_on_tty({"--url", url(), "tasks"});
  BOOST_TEST(tty.exit == 0);
  BOOST_TEST(contains(tty.out, "\x1b[31mfailed\x1b[0m"), tty.out);
  auto plain = tmxctl_on_tty({"--url", url(), "--no-color", "tasks"});
  BOOST_TEST(plain.out.find('\x1b') == std::string::npos);
  BOOST_TEST(ctl({"tasks"}).out.find('\x1b') == std::string::npos);
}

// -- offline commands ---------------------------------------------------------

namespace {

/// A copy of a stopped server's data directory, removed at the end.
struct data_copy {
  std::filesystem::path dir = make_temp_dir();
  std::string path = (dir / "data").string();

  explicit data_copy(const std::filesystem::path& from) {
    std::filesystem::copy(from, path, std::filesystem::copy_options::recursive);
  }

  ~data_copy() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  result db(const std::string& command, args more = {}) const {
    more.insert(more.begin(), {"db", command, "--data", path});
    return tmxctl(more);
  }
};

/// The objects of `db dump` output, one per line.
std::vector<rapidjson::Document> dumped(const result& r) {
  std::vector<rapidjson::Document> out;
  for (auto& line : r.lines())
    out.push_back(parse_json(line));
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(db_commands_on_a_clean_store, busy_server) {
  auto tasks = api("/task?page_size=100");
  auto stats = api("/task/stats");
  BOOST_REQUIRE_EQUAL(terminate(), 0);
  data_copy data(data_dir());

  auto check = data.db("check");
  BOOST_TEST(check.exit == 0, check.out << check.err);
  BOOST_TEST(check.out
             == "consistent: 8 tasks, every index entry, counter and id "
                "checked\n");
  auto check_json = data.db("check", {"--json"}).json();
  BOOST_TEST(member(check_json, "consistent").IsTrue());
  BOOST_TEST(member(check_json, "problems").Empty());

  auto info = data.db("info", {"--json"});
  BOOST_TEST(info.exit == 0, info.err);
  auto doc = info.json();
  BOOST_TEST(int_of(member(doc, "schema_version")) == 2);
  BOOST_TEST(id_of(member(doc, "next_id")) == max_id() + 2); // one deleted
  check_same_json(member(doc, "tasks"), stats);
  BOOST_TEST(int_of(member(member(doc, "sources"), "api")) == 8);
  BOOST_TEST(int_of(member(member(doc, "scripts"), "post")) == 8);
  BOOST_TEST(int_of(member(member(doc, "serials"), "sim-0001")) == 2);
  BOOST_TEST(int_of(member(doc, "devices")) == 4);
  BOOST_TEST(int_of(member(doc, "accounts")) == 8);
  BOOST_TEST(int_of(member(doc, "directory_bytes")) > 0);
  std::vector<std::string> families;
  for (auto& f : member(doc, "column_families").GetArray())
    families.push_back(text_of(member(f, "name")));
  BOOST_TEST(families
             == (std::vector<std::string>{"tasks", "index", "counters", "meta",
                                          "accounts", "devices", "idempotency",
                                          "logs"}));
  auto table = data.db("info");
  BOOST_TEST(table.line_with("schema version") == "schema version  2");
  BOOST_TEST(contains(table.line_with("tasks"),
                      "8 total: 3 pending, 0 running, 3 completed, 2 failed"));
  BOOST_TEST(contains(table.line_with("FAMILY"), "KEYS"));
  BOOST_TEST(contains(table.line_with("idempotency"), "0"));

  // The dump: every task, ascending id, exactly the API's objects.
  auto dump = dumped(data.db("dump"));
  auto& listed = member(tasks, "tasks");
  BOOST_REQUIRE_EQUAL(dump.size(), listed.Size());
  for (rapidjson::SizeType i = 0; i < listed.Size(); ++i)
    check_same_json(dump[i], listed[listed.Size() - 1 - i]);
  auto failed_dump = dumped(data.db("dump", {"--status", "failed"}));
  BOOST_REQUIRE_EQUAL(failed_dump.size(), failed.size());
  for (size_t i = 0; i < failed.size(); ++i)
    BOOST_TEST(id_of(member(failed_dump[i], "id")) == failed[i]);
}

BOOST_FIXTURE_TEST_CASE(db_commands_beside_a_running_server, busy_server) {
  auto data = data_dir().string();
  auto check = tmxctl({"db", "check", "--data", data});
  BOOST_TEST(check.exit == 0, check.out << check.err);
  auto info = tmxctl({"db", "info", "--json"}, {{"TMX_DATA", data}});
  BOOST_TEST(info.exit == 0, info.err);
  check_same_json(member(info.json(), "tasks"), api("/task/stats"));
  auto dump = tmxctl({"db", "dump", "--data", data, "--status", "0"});
  BOOST_TEST(dump.lines().size() == pending.size());
  // The server did not notice: it still writes.
  auto more = create({"sim-0002"}, later);
  BOOST_TEST(more.size() == 1u);
  auto after = tmxctl({"db", "dump", "--data", data, "--status", "0"});
  BOOST_TEST(after.lines().size() == pending.size() + 1);
  check_same_json(parse_json(after.lines().back()), api(path_of(more[0])));
}

BOOST_AUTO_TEST_CASE(db_on_a_missing_directory_fails) {
  auto dir = make_temp_dir();
  for (auto command : {"info", "check", "dump"}) {
    auto r = tmxctl({"db", command, "--data", (dir / "none").string()});
    BOOST_TEST(r.exit == 1);
    BOOST_TEST(contains(r.err, "cannot open read-only"), r.err);
  }
  BOOST_TEST(!std::filesystem::exists(dir / "none"));
  std::filesystem::remove_all(dir);
}

BOOST_FIXTURE_TEST_CASE(db_check_reports_each_inconsistency, busy_server) {
  BOOST_REQUIRE_EQUAL(terminate(), 0);
  using tmx::corruption;
  auto missing = max_id() + 100;
  auto some = completed[1];
  struct injected {
    corruption kind;
    uint64_t id;
    std::string reported;
  };
  auto task = [](uint64_t id) { return "task " + std::to_string(id); };
  const std::vector<injected> cases{
    {corruption::drop_index_entry, completed[0],
     task(completed[0]) + ": not in the index under serial \"sim-0001\""},
    {corruption::stray_index_entry, missing,
     "index entry status pending of " + task(missing) + ": no such task"},
    {corruption::wrong_index_value, some,
     "index entry serial \"sim-0002-wrong\" of " + task(some)
       + ": the task has serial \"sim-0002\""},
    {corruption::wrong_counter, completed[2],
     "counter of serial \"sim-0003\" is 9, a recount gives 2"},
    {corruption::stale_next_id, pending[0],
     "next_id is " + std::to_string(pending[0]) + ", not above "
       + task(max_id())},
    {corruption::undecodable_task, failed[0],
     task(failed[0]) + ": the record cannot be decoded"},
    {corruption::drop_due_entry, pending[1],
     task(pending[1]) + ": pending and due at 2090-01-01T"},
    {corruption::orphan_log, missing,
     "log of " + task(missing) + ": no such task"},
  };
  // One kind at a time: exactly that one problem, exit 1.
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.reported) {
      data_copy data(data_dir());
      BOOST_REQUIRE(tmx::store::corrupt_for_test(data.path, c.kind, c.id));
      auto r = data.db("check");
      BOOST_TEST(r.exit == 1);
      auto lines = r.lines();
      BOOST_REQUIRE_EQUAL(lines.size(), 2u);
      BOOST_TEST(contains(lines[0], c.reported), lines[0]);
      BOOST_TEST(lines[1] == "1 inconsistency in " + data.path);
      auto j = data.db("check", {"--json"});
      BOOST_TEST(j.exit == 1);
      auto doc = j.json();
      BOOST_TEST(member(doc, "consistent").IsFalse());
      BOOST_TEST(member(doc, "problems").Size() == 1u);
    }
  // All of them in one store: each one reported.
  data_copy all(data_dir());
  for (auto& c : cases)
    BOOST_REQUIRE(tmx::store::corrupt_for_test(all.path, c.kind, c.id));
  auto r = all.db("check");
  BOOST_TEST(r.exit == 1);
  for (auto& c : cases)
    BOOST_TEST(contains(r.out, c.reported), c.reported);
  BOOST_TEST(r.lines().back()
             == std::to_string(cases.size()) + " inconsistencies in "
                  + all.path);
  // A dump stops at the undecodable record and says so.
  auto dump = all.db("dump");
  BOOST_TEST(dump.exit == 1);
  BOOST_TEST(contains(dump.err, "corrupt"), dump.err);
}

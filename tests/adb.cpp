// Black-box tests of the adb driver: a real tmx-server (and tmx-agent) whose
// device host follows the fake adb server (tests/fake_adb.py, the real host
// protocol), running scripts that the tests write, and the reference post
// script through Debian's own adb client. Prints the figures of the closing
// note with --log_level=message.
#define BOOST_TEST_MODULE adb
#include <boost/test/unit_test.hpp>

#include "tests/agent_process.hpp"
#include "tests/eventually.hpp"
#include "tests/fake_adb_process.hpp"

#include <sys/stat.h>

#include <fstream>
#include <memory>

using namespace tmx::test;

namespace {

const std::string secret = "adb-test-secret";

double ms_since(steady::time_point start) {
  return std::chrono::duration<double, std::milli>(steady::now() - start)
    .count();
}

/// Polls every 2 ms (finer than wait_until: the figures are timed with it).
template <class Predicate>
bool soon(Predicate pred, steady::duration deadline = 10s) {
  return eventually(
    pred, std::chrono::duration_cast<std::chrono::milliseconds>(deadline), 2ms);
}

bool alive(pid_t pid) {
  // A zombie is gone for our purpose: it runs nothing.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_text, name, state;
  if (!(in >> pid_text >> name >> state))
    return false;
  return state != "Z";
}

long rss_kb(pid_t pid, const char* field = "VmRSS:") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == field && in >> value)
      return value;
    in.ignore(4096, '\n');
  }
  return -1;
}

std::vector<pid_t> pids_in(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<pid_t> out;
  for (pid_t p; in >> p;)
    out.push_back(p);
  return out;
}

/// A phone farm on one machine: the fake adb server, a scripts dir and a
/// tmx-server whose in-process host drives the fake's phones.
struct farm {
  std::filesystem::path scripts;
  std::filesystem::path events;
  fake_adb_process adb;
  server_process server;

  explicit farm(options extra = {})
    : scripts(make_temp_dir()), events(scripts / "events.txt"),
      adb(0, events.string()) {
    server.require_start(merged({{"host.driver", "adb"},
                                 {"adb.port", std::to_string(adb.port())},
                                 {"scripts.dir", scripts.string()},
                                 {"cluster.port", "0"},
                                 {"runner.stop-grace", "500ms"}},
                                extra));
  }

  ~farm() {
    std::error_code ignored;
    std::filesystem::remove_all(scripts, ignored);
  }

  /// Writes an executable script `name` (a shell script body).
  void script(const std::string& name, const std::string& body) {
    auto path = scripts / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
  }

  void plug(const std::string& serial) {
    adb.command("add " + serial
                + " device model=Pixel_7 android=14 "
                  "battery=61");
  }

  rapidjson::Document device(const std::string& serial) const {
    auto r = server.get("/api/v1/device");
    rapidjson::Document out;
    for (auto& d : member(r.data(), "devices").GetArray())
      if (text_of(member(d, "serial")) == serial)
        out.CopyFrom(d, out.GetAllocator());
    return out;
  }

  std::string state(const std::string& serial) const {
    auto d = device(serial);
    return d.IsObject() ? text_of(member(d, "state")) : "absent";
  }

  uint64_t create(const std::string& serial, const std::string& script,
                  const std::string& config = "{}") const {
    auto r = server.post("/api/v1/task",
                         "{\"serials\":[\"" + serial + "\"],\"script_name\":\""
                           + script + "\",\"script_config\":" + config + "}");
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.message());
    return ids_of(member(r.data(), "task_ids")).at(0);
  }

  rapidjson::Document task(uint64_t id) const {
    auto r = server.get("/api/v1/task/" + std::to_string(id));
    rapidjson::Document out;
    out.CopyFrom(r.data(), out.GetAllocator());
    return out;
  }

  int64_t status(uint64_t id) const {
    return int_of(member(task(id), "status"));
  }

  std::string remark(uint64_t id) const {
    return text_of(member(task(id), "remark"));
  }

  std::vector<std::string> log(uint64_t id) const {
    auto r = server.get("/api/v1/task/" + std::to_string(id) + "/log");
    std::vector<std::string> out;
    for (auto& line : member(r.data(), "lines").GetArray())
      out.push_back(text_of(member(line, "text")));
    return out;
  }

  bool logged(uint64_t id, const std::string& part) const {
    for (auto& line : log(id))
      if (contains(line, part))
        return true;
    return false;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(phones_appear_change_state_and_go) {
  farm f;
  auto start = steady::now();
  f.plug("R58M01");
  BOOST_REQUIRE(soon([&] { return f.state("R58M01") == "online"; }));
  BOOST_TEST_MESSAGE("plug to online: " << ms_since(start) << " ms");
  BOOST_REQUIRE(soon([&] {
    auto d = f.device("R58M01");
    return member(d, "battery").IsInt();
  }));
  auto d = f.device("R58M01");
  BOOST_CHECK_EQUAL(text_of(member(d, "driver")), "adb");
  BOOST_CHECK_EQUAL(text_of(member(d, "model")), "Pixel 7");
  BOOST_CHECK_EQUAL(text_of(member(d, "android")), "14");
  BOOST_CHECK_EQUAL(int_of(member(d, "battery")), 61);
  BOOST_CHECK_EQUAL(text_of(member(d, "node")), "local");
  auto reason = [&] {
    return text_of(member(f.device("R58M01"), "state_reason"));
  };
  for (auto [state, shown] : {std::pair{"unauthorized", "unauthorized"},
                              std::pair{"offline", "offline"},
                              std::pair{"no_permissions", "no permissions"}}) {
    f.adb.command(std::string("state R58M01 ") + state);
    BOOST_CHECK(soon([&] { return reason() == shown; }));
    BOOST_CHECK_EQUAL(f.state("R58M01"), "offline");
  }
  f.adb.command("state R58M01 device");
  BOOST_CHECK(soon([&] { return f.state("R58M01") == "online"; }));
  f.adb.command("remove R58M01");
  BOOST_CHECK(soon([&] { return reason() == "disconnected"; }));
  // The adb server dies: said once, and back on its own when it returns.
  f.plug("R58M01");
  BOOST_REQUIRE(soon([&] { return f.state("R58M01") == "online"; }));
  f.adb.kill();
  BOOST_CHECK(soon([&] { return reason() == "adb server unreachable"; }));
  BOOST_CHECK(soon([&] { return contains(f.server.log(), "unreachable"); }));
  f.adb.restart();
  f.plug("R58M01");
  BOOST_CHECK(soon([&] { return f.state("R58M01") == "online"; }));
  auto log = f.server.log();
  auto first = log.find("unreachable (");
  BOOST_CHECK_MESSAGE(first != std::string::npos
                        && log.find("unreachable (", first + 1)
                             == std::string::npos,
                      "the loss is logged once:\n"
                        << log);
}

BOOST_AUTO_TEST_CASE(reference_post_runs_through_debian_adb) {
  farm f;
  std::filesystem::copy(TMX_SOURCE_DIR "/scripts/post", f.scripts / "post");
  std::filesystem::copy(TMX_SOURCE_DIR "/scripts/tmx_adb.py",
                        f.scripts / "tmx_adb.py");
  auto clip = f.scripts / "clip.mp4";
  std::ofstream(clip) << std::string(250000, 'v');
  f.plug("R58M02");
  BOOST_REQUIRE(soon([&] { return f.state("R58M02") == "online"; }));
  auto id = f.create("R58M02", "post",
                     "{\"material_list\":[\"" + clip.string()
                       + "\"],\"captions\":\"hi\",\"upload_wait_time\":3}");
  // The log shows the script's lines while it still runs.
  BOOST_REQUIRE(soon([&] { return f.logged(id, "push"); }));
  BOOST_CHECK_EQUAL(f.status(id), 1);
  BOOST_REQUIRE(soon([&] { return f.status(id) == 2; }, 30s));
  BOOST_CHECK_EQUAL(int_of(member(f.task(id), "exit_code")), 0);
  auto events = file_text(f.events);
  BOOST_CHECK(contains(events, "push R58M02 /sdcard/DCIM/tmx/clip.mp4 250000"));
  BOOST_CHECK(contains(events, "android.intent.action.SEND"));
  BOOST_CHECK(f.logged(id, "completed"));
}

BOOST_AUTO_TEST_CASE(exit_codes_remarks_and_signals) {
  farm f;
  f.plug("R58M03");
  BOOST_REQUIRE(soon([&] { return f.state("R58M03") == "online"; }));
  struct expectation {
    std::string body;
    int64_t status;
    std::string remark;
    int exit_code; // -1: null
  };
  std::vector<expectation> cases{
    {"echo working\necho '::remark posted 1 video'\nexit 0\n", 2,
     "posted 1 video", 0},
    {"echo '::remark login required'\necho 'oops' >&2\nexit 4\n", 3,
     "login required", 4},
    {"echo 'no network' >&2\nexit 3\n", 3, "no network", 3},
    {"exit 7\n", 3, "exit code 7", 7},
    {"kill -SEGV $$\n", 3, "killed by signal 11", -1},
    {"read config\necho \"got $config\" \necho \"$ANDROID_SERIAL "
     "$TMX_TASK_ID $TMX_SCRIPT $TMX_NODE [$TMX_USERNAME] $ADB_SERVER_SOCKET\"\n"
     "[ \"$ANDROID_ADB_SERVER_PORT\" = \""
       + std::to_string(f.adb.port()) + "\" ]\n",
     2, "", 0},
  };
  for (auto& c : cases) {
    f.script("post", c.body);
    auto id = f.create("R58M03", "post", "{\"captions\":\"x\"}");
    BOOST_REQUIRE(soon([&] { return f.status(id) >= 2; }));
    BOOST_CHECK_EQUAL(f.status(id), c.status);
    BOOST_CHECK_EQUAL(f.remark(id), c.remark);
    auto t = f.task(id);
    auto& code = member(t, "exit_code");
    BOOST_CHECK_EQUAL(code.IsNull() ? -1 : int_of(code), c.exit_code);
    if (contains(c.body, "read config")) {
      BOOST_CHECK(f.logged(id, "\"captions\":\"x\""));
      BOOST_CHECK(f.logged(id, "R58M03 " + std::to_string(id)
                                 + " post local [] tcp:127.0.0.1:"
                                 + std::to_string(f.adb.port())));
    }
  }
  // A missing script fails at once.
  std::filesystem::remove(f.scripts / "post");
  auto id = f.create("R58M03", "post");
  BOOST_REQUIRE(soon([&] { return f.status(id) == 3; }, 3s));
  BOOST_CHECK_EQUAL(f.remark(id), "no script post on node local");
}

BOOST_AUTO_TEST_CASE(stop_ends_a_stubborn_script_and_its_children) {
  farm f;
  auto pids = f.scripts / "pids";
  f.script("post", "trap '' TERM\n"
                   "sleep 1000 & echo $! >> "
                     + pids.string()
                     + "\n"
                       "sleep 1000 & echo $! >> "
                     + pids.string()
                     + "\n"
                       "echo $$ >> "
                     + pids.string()
                     + "\n"
                       "echo script running\n"
                       "while :; do sleep 0.05; done\n");
  f.plug("R58M04");
  BOOST_REQUIRE(soon([&] { return f.state("R58M04") == "online"; }));
  auto id = f.create("R58M04", "post");
  BOOST_REQUIRE(soon([&] { return f.logged(id, "script running"); }));
  auto running = pids_in(pids);
  BOOST_REQUIRE_EQUAL(running.size(), 3u);
  auto start = steady::now();
  auto r = f.server.post("/api/v1/task/" + std::to_string(id) + "/stop");
  BOOST_CHECK_EQUAL(r.code(), 0);
  BOOST_CHECK_EQUAL(f.remark(id), "stopped by user");
  BOOST_REQUIRE(soon([&] {
    for (auto p : running)
      if (alive(p))
        return false;
    return true;
  }));
  auto gone = ms_since(start);
  BOOST_TEST_MESSAGE("stop to process group gone (grace 500 ms, SIGTERM "
                     "ignored): "
                     << gone << " ms");
  BOOST_CHECK_GE(gone, 400.0); // it got its grace
  // The device is free for the next task.
  f.script("post", "echo next\n");
  auto next = f.create("R58M04", "post");
  BOOST_CHECK(soon([&] { return f.status(next) == 2; }));
}

BOOST_AUTO_TEST_CASE(stop_of_a_script_that_obeys_sigterm_is_quick) {
  farm f;
  auto pids = f.scripts / "pids";
  f.script("post", "echo $$ > " + pids.string()
                     + "\necho script running\n"
                       "exec sleep 1000\n");
  f.plug("R58M05");
  BOOST_REQUIRE(soon([&] { return f.state("R58M05") == "online"; }));
  auto id = f.create("R58M05", "post");
  BOOST_REQUIRE(soon([&] { return f.logged(id, "script running"); }));
  auto pid = pids_in(pids).at(0);
  auto start = steady::now();
  f.server.del("/api/v1/task/" + std::to_string(id));
  BOOST_REQUIRE(soon([&] { return !alive(pid); }));
  BOOST_TEST_MESSAGE("delete to process gone (script obeys SIGTERM): "
                     << ms_since(start) << " ms");
}

BOOST_AUTO_TEST_CASE(unplugging_fails_the_running_task_and_ends_its_script) {
  farm f;
  // Each device's script writes its own pid file.
  f.script("post", "echo $$ > " + f.scripts.string()
                     + "/$ANDROID_SERIAL\n"
                       "echo script running\nwhile :; do sleep 0.05; done\n");
  f.plug("R58M06");
  f.plug("R58M07");
  BOOST_REQUIRE(soon([&] { return f.state("R58M07") == "online"; }));
  auto id = f.create("R58M06", "post");
  auto other = f.create("R58M07", "post");
  BOOST_REQUIRE(soon([&] { return f.logged(id, "script running"); }));
  auto pid = pids_in(f.scripts / "R58M06").at(0);
  auto start = steady::now();
  f.adb.command("remove R58M06");
  BOOST_REQUIRE(soon([&] { return f.status(id) == 3; }));
  BOOST_TEST_MESSAGE("unplug to task failed: " << ms_since(start) << " ms");
  BOOST_CHECK_EQUAL(f.remark(id), "device disconnected");
  BOOST_CHECK(soon([&] { return !alive(pid); }));
  BOOST_CHECK_EQUAL(f.status(other), 1); // nothing else is touched
  BOOST_CHECK_EQUAL(f.state("R58M07"), "busy");
}

BOOST_AUTO_TEST_CASE(a_script_printing_100_mb_costs_no_memory) {
#ifdef __SANITIZE_ADDRESS__
  // ASan's quarantine of freed memory (256 MB) would count as the server's.
  ::setenv("ASAN_OPTIONS", "quarantine_size_mb=4", 1);
#endif
  farm f;
  // 100 MB in lines of 100 bytes, then one line of 10 MB without a break.
  f.script("post",
           "yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -c "
           "100000000\nhead -c 10000000 /dev/zero | tr '\\0' y\n"
           "echo\necho '::remark printed a lot'\n");
  f.plug("R58M08");
  BOOST_REQUIRE(soon([&] { return f.state("R58M08") == "online"; }));
  auto before = rss_kb(f.server.pid());
  auto id = f.create("R58M08", "post");
  BOOST_REQUIRE(soon([&] { return f.status(id) == 2; }, 60s));
  auto peak = rss_kb(f.server.pid(), "VmHWM:");
  BOOST_TEST_MESSAGE("server RSS before " << before
                                          << " kB, peak after 110 MB "
                                             "of output "
                                          << peak << " kB");
  BOOST_CHECK_LT(peak - before, 100 * 1024);
  auto lines = f.log(id);
  BOOST_CHECK_LE(lines.size(), 1000u);
  for (auto& line : lines)
    BOOST_CHECK_LE(line.size(), 4096u);
  BOOST_CHECK_EQUAL(f.remark(id), "printed a lot");
}

BOOST_AUTO_TEST_CASE(timeout_ends_the_script) {
  // account_warmup: task_duration + 120 s, scaled to 1.2 s.
  farm f(options{{"runner.timeout-scale", "0.01"}});
  f.script("account_warmup", "echo watching\nwhile :; do sleep 0.05; done\n");
  f.plug("R58M09");
  BOOST_REQUIRE(soon([&] { return f.state("R58M09") == "online"; }));
  auto id = f.create("R58M09", "account_warmup", "{\"task_duration\":0}");
  BOOST_REQUIRE(soon([&] { return f.status(id) == 3; }));
  BOOST_CHECK(contains(f.remark(id), "timeout after"));
  BOOST_CHECK(member(f.task(id), "exit_code").IsNull());
}

BOOST_AUTO_TEST_CASE(screenshots_of_both_drivers) {
  farm f;
  f.plug("R58M10");
  BOOST_REQUIRE(soon([&] { return f.state("R58M10") == "online"; }));
  auto r = f.server.get("/api/v1/device/R58M10/screenshot");
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_EQUAL(r.text.substr(0, 8), "\x89PNG\r\n\x1a\n");
  BOOST_CHECK(contains(file_text(f.events), "exec R58M10 screencap -p"));
  BOOST_CHECK_EQUAL(f.server.get("/api/v1/device/nope/screenshot").code(),
                    40401);
  f.adb.command("state R58M10 unauthorized");
  BOOST_REQUIRE(soon([&] { return f.state("R58M10") == "offline"; }));
  BOOST_CHECK_EQUAL(f.server.get("/api/v1/device/R58M10/screenshot").code(),
                    40901);

  server_process sim;
  sim.require_start({{"sim.devices", "2"}, {"cluster.port", "0"}});
  auto a = sim.get("/api/v1/device/sim-0001/screenshot");
  auto b = sim.get("/api/v1/device/sim-0002/screenshot");
  BOOST_CHECK_EQUAL(a.status, 200);
  BOOST_CHECK_EQUAL(a.text.substr(0, 8), "\x89PNG\r\n\x1a\n");
  BOOST_CHECK(a.text != b.text);
  // The same size every time: the IHDR's width and height.
  BOOST_CHECK_EQUAL(a.text.substr(16, 8), b.text.substr(16, 8));
}

BOOST_AUTO_TEST_CASE(an_agent_drives_its_phones_over_the_cluster) {
  auto scripts = make_temp_dir();
  fake_adb_process adb;
  server_process server;
  auto cluster_port = free_port();
  server.require_start({{"sim.devices", "0"},
                        {"cluster.port", std::to_string(cluster_port)},
                        {"cluster.secret", secret}});
  auto pids = scripts / "pids";
  {
    std::ofstream(scripts / "post")
      << "#!/bin/sh\necho $$ > " << pids.string()
      << "\nsleep 1000 & echo $! >> " << pids.string()
      << "\necho step one\nsleep 0.3\necho step two\n"
         "while :; do sleep 0.05; done\n";
    ::chmod((scripts / "post").c_str(), 0755);
  }
  agent_process agent({{"cluster.port", std::to_string(cluster_port)},
                       {"cluster.secret", secret},
                       {"node.name", "rack-1"},
                       {"host.driver", "adb"},
                       {"adb.port", std::to_string(adb.port())},
                       {"scripts.dir", scripts.string()}},
                      server.dir(), server.dir() / "agent.log");
  agent.launch();
  for (int i = 1; i <= 200; ++i)
    adb.command("add phone-" + std::to_string(1000 + i));
  BOOST_REQUIRE(wait_until(
    [&] {
      auto r = server.get("/api/v1/device");
      size_t online = 0;
      for (auto& d : member(r.data(), "devices").GetArray())
        online += text_of(member(d, "state")) == "online";
      return online == 200;
    },
    30s));
  BOOST_TEST_MESSAGE("agent with 200 fake adb phones: RSS "
                     << rss_kb(agent.pid()) << " kB");
  auto start = steady::now();
  auto shot = server.get("/api/v1/device/phone-1001/screenshot");
  BOOST_TEST_MESSAGE("screenshot through the agent: "
                     << ms_since(start) << " ms, " << shot.text.size()
                     << " bytes");
  BOOST_CHECK_EQUAL(shot.status, 200);
  BOOST_CHECK_EQUAL(shot.text.substr(0, 8), "\x89PNG\r\n\x1a\n");
  auto r = server.post("/api/v1/task", "{\"serials\":[\"phone-1001\"],"
                                       "\"script_name\":\"post\","
                                       "\"script_config\":{}}");
  BOOST_REQUIRE_EQUAL(r.code(), 0);
  auto id = std::to_string(ids_of(member(r.data(), "task_ids")).at(0));
  auto lines = [&] {
    auto log = server.get("/api/v1/task/" + id + "/log");
    return to_json(member(log.data(), "lines"));
  };
  // Live lines cross the cluster while the script runs.
  BOOST_REQUIRE(wait_until([&] { return contains(lines(), "step two"); }, 10s));
  auto task = server.get("/api/v1/task/" + id);
  BOOST_CHECK_EQUAL(int_of(member(task.data(), "status")), 1);
  BOOST_CHECK_EQUAL(text_of(member(task.data(), "node")), "rack-1");
  auto running = pids_in(pids);
  BOOST_REQUIRE_EQUAL(running.size(), 2u);
  // The agent dies: its scripts die with it, the task fails.
  agent.kill();
  BOOST_CHECK(wait_until(
    [&] {
      for (auto p : running)
        if (alive(p))
          return false;
      return true;
    },
    5s));
  BOOST_CHECK(wait_until(
    [&] {
      auto t = server.get("/api/v1/task/" + id);
      return int_of(member(t.data(), "status")) == 3;
    },
    10s));
  std::error_code ignored;
  std::filesystem::remove_all(scripts, ignored);
}

// Black-box tests of the one secret a task holds (account_warmup's
// chatgpt_settings.api_key): a real tmx-server runs a task with a random
// key, and no surface shows it — GET task and list, the event stream, a
// webhook's bodies, the task log, tmxctl live and `tmxctl db dump`, the
// server log — while the script process gets it in clear on its stdin
// (adb driver against the fake adb server), and what it prints of it is
// redacted.
#define BOOST_TEST_MODULE secrets
#include <boost/test/unit_test.hpp>

#include "tests/fake_adb_process.hpp"
#include "tests/sse_client.hpp"
#include "tests/tmxctl/fixtures.hpp"
#include "tests/webhook_receiver.hpp"

#include <sys/stat.h>

#include <random>

using namespace tmx::test;

namespace {

/// A key no test text holds by chance.
std::string random_key() {
  std::random_device rd;
  std::string out = "sk-tmx-";
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i)
    out += hex[rd() % 16];
  return out;
}

std::string warmup_body(const std::string& serial, const std::string& key,
                        int seconds = 1) {
  return R"({"serials":[")" + serial
         + R"("],"script_name":"account_warmup","script_config":)"
           R"({"task_duration":)"
         + std::to_string(seconds)
         + R"(,"generate_by_chatgpt":true,"chatgpt_settings":{"api_key":")"
         + key + R"(","prompt":"say hi"}}})";
}

const std::string task_types = "task.created,task.started,task.completed,"
                               "task.failed,task.retried,task.deleted";

/// Watches every surface of a server from before its first task on.
struct observed {
  const server_process& srv;
  webhook_receiver hooks;
  sse_client events;

  explicit observed(const server_process& s)
    : srv(s), events(s.port(), "", "") {
    auto r = srv.post("/api/v1/webhook",
                      R"({"url":")" + hooks.url()
                        + R"(","secret":"0123456789abcdef"})");
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.text);
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(srv.port());
  }

  uint64_t create(const std::string& body) const {
    auto r = srv.post("/api/v1/task", body, {{"Idempotency-Key", "warm-1"}});
    BOOST_REQUIRE_MESSAGE(r.code() == 0, r.text);
    // The same key again: the first reply, nothing new.
    auto again = srv.post("/api/v1/task", body,
                          {{"Idempotency-Key", "warm-1"}});
    BOOST_TEST(again.text == r.text);
    return ids_of(member(r.data(), "task_ids")).at(0);
  }

  int64_t status(uint64_t id) const {
    return int_of(
      member(srv.get("/api/v1/task/" + std::to_string(id)).data(), "status"));
  }

  /// Waits for the end of the run and for its event on the stream and at
  /// the webhook receiver.
  void wait_done(uint64_t id, int64_t status) const {
    BOOST_REQUIRE(wait_until([&] { return this->status(id) == status; }, 30s));
    auto type = status == 2 ? "task.completed" : "task.failed";
    auto seen = [&](const std::string& text) {
      return text.find(type) != std::string::npos;
    };
    BOOST_REQUIRE(wait_until(
      [&] {
        for (auto& m : events.messages())
          if (seen(std::get<2>(m)))
            return true;
        return false;
      },
      20s));
    BOOST_REQUIRE(wait_until(
      [&] {
        for (auto& d : hooks.accepted())
          if (d.event == type)
            return true;
        return false;
      },
      20s));
  }

  /// How many task events the stream has shown.
  size_t task_events() const {
    size_t n = 0;
    for (auto& m : events.messages())
      n += std::get<0>(m) == "task";
    return n;
  }

  /// Every text a person or a program gets to see of task `id`; each
  /// renders its config, so it must hold the mask.
  std::vector<std::pair<std::string, std::string>> surfaces(uint64_t id) const {
    auto path = "/api/v1/task/" + std::to_string(id);
    std::vector<std::pair<std::string, std::string>> out{
      {"GET task", srv.get(path).text},
      {"GET list", srv.get("/api/v1/task?script_name=account_warmup").text},
      {"tmxctl task", tmxctl({"--url", url(), "task", std::to_string(id)}).out},
      {"tmxctl task --json",
       tmxctl({"--url", url(), "task", std::to_string(id), "--json"}).out},
      {"tmxctl tasks --json", tmxctl({"--url", url(), "tasks", "--json"}).out},
      {"tmxctl events",
       tmxctl({"--url", url(), "events", "--json", "--since", "0", "--types",
               task_types, "--count", std::to_string(task_events())})
         .out},
      {"tmxctl db dump",
       tmxctl({"db", "dump", "--data", srv.data_dir().string()}).out},
    };
    std::string streamed, delivered;
    for (auto& m : events.messages())
      streamed += std::get<2>(m) + "\n";
    for (auto& d : hooks.all())
      delivered += d.body + "\n";
    out.emplace_back("event stream", streamed);
    out.emplace_back("webhook bodies", delivered);
    return out;
  }

  /// Texts that show no config but might echo a key: logs.
  std::vector<std::pair<std::string, std::string>> logs(uint64_t id) const {
    auto path = "/api/v1/task/" + std::to_string(id);
    return {
      {"GET task log", srv.get(path + "/log").text},
      {"server log", srv.log()},
      {"webhook deliveries", srv.get("/api/v1/webhook/1/deliveries").text},
    };
  }

  void check_hidden(uint64_t id, const std::string& key) const {
    for (auto& [name, text] : surfaces(id)) {
      BOOST_TEST(!text.empty(), name << " is empty");
      BOOST_TEST(text.find(key) == std::string::npos, name << " shows the key");
      BOOST_TEST(text.find(R"("api_key":"***")") != std::string::npos,
                 name << " shows no masked key:\n"
                      << text.substr(0, 2000));
    }
    for (auto& [name, text] : logs(id))
      BOOST_TEST(text.find(key) == std::string::npos, name << " shows the key");
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(the_key_shows_nowhere_after_a_simulated_run) {
  live_server srv;
  observed o(srv);
  auto key = random_key();
  auto id = o.create(warmup_body("sim-0001", key));
  o.wait_done(id, 2);
  o.check_hidden(id, key);
  // A retried run renders it again (task.retried, task.started, ...).
  auto retried = srv.post("/api/v1/task/" + std::to_string(id) + "/retry");
  BOOST_TEST(retried.code() != 0); // completed: 40901, and no key in it
  BOOST_TEST(retried.text.find(key) == std::string::npos);
}

namespace {

/// A tmx-server whose in-process host drives the fake adb server's phones
/// and runs the scripts of a temp dir (as tests/adb.cpp's farm).
struct adb_farm {
  std::filesystem::path scripts;
  fake_adb_process adb;
  server_process server;

  adb_farm() : scripts(make_temp_dir()), adb(0, "") {
    server.require_start({{"host.driver", "adb"},
                          {"adb.port", std::to_string(adb.port())},
                          {"scripts.dir", scripts.string()},
                          {"cluster.port", "0"},
                          {"runner.stop-grace", "500ms"}});
  }

  ~adb_farm() {
    std::error_code ignored;
    std::filesystem::remove_all(scripts, ignored);
  }

  void script(const std::string& name, const std::string& body) {
    auto path = scripts / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
  }

  std::string state(const std::string& serial) const {
    auto r = server.get("/api/v1/device");
    for (auto& d : member(r.data(), "devices").GetArray())
      if (text_of(member(d, "serial")) == serial)
        return text_of(member(d, "state"));
    return "absent";
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(the_script_gets_the_key_and_what_it_prints_is_redacted) {
  adb_farm f;
  auto stdin_copy = f.scripts / "stdin.json";
  // Prints the key every way a careless script might: alone, inside its
  // whole config, on stderr, in the remark.
  f.script("account_warmup",
           "cat > '" + stdin_copy.string()
             + "'\n"
               "key=$(sed -n 's/.*\"api_key\":\"\\([^\"]*\\)\".*/\\1/p' '"
             + stdin_copy.string()
             + "')\n"
               "echo \"the key is $key\"\n"
               "cat '"
             + stdin_copy.string()
             + "'; echo\n"
               "echo \"stderr: $key\" >&2\n"
               "echo \"::remark rejected key $key\"\n"
               "exit 3\n");
  f.adb.command("add R58K01 device model=Pixel_7 android=14 battery=80");
  BOOST_REQUIRE(wait_until([&] { return f.state("R58K01") == "online"; }, 20s));
  observed o(f.server);
  auto key = random_key();
  auto id = o.create(warmup_body("R58K01", key));
  o.wait_done(id, 3);
  // The script had it, in clear, on its stdin.
  BOOST_TEST(read_all(stdin_copy).find(R"("api_key":")" + key + "\"")
             != std::string::npos);
  // It printed it four times; each is redacted.
  auto log = f.server.get("/api/v1/task/" + std::to_string(id) + "/log").text;
  for (auto line : {"the key is ***", "stderr: ***",
                    "::remark rejected key ***", R"(\"api_key\":\"***\")"})
    BOOST_TEST(log.find(line) != std::string::npos, line << " in " << log);
  auto task = f.server.get("/api/v1/task/" + std::to_string(id));
  BOOST_TEST(text_of(member(task.data(), "remark")) == "rejected key ***");
  o.check_hidden(id, key);
}

// Black-box tests of tmxctl: the program against a real tmx-server process
// (every live command, tables and --json, exit codes). The suite's other
// files: tests/tmxctl/db.cpp (offline commands), watch.cpp, events.cpp,
// sse_parser.cpp; their helpers are in tests/tmxctl/fixtures.hpp.
#define BOOST_TEST_MODULE tmxctl
#include <boost/test/unit_test.hpp>

#include "tests/tmxctl/fixtures.hpp"

#include <fstream>
#include <string>
#include <vector>

using namespace tmx::test;

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
         {"events", "--since", "-1"},
         {"events", "--count", "x"},
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
  for (const args& a : std::vector<args>{{"status"},
                                         {"tasks", "--json"},
                                         {"stop", "1"},
                                         {"watch", "--once"},
                                         {"events"}})
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
  // The event stream takes it too (and without it is refused at once).
  auto stream = tmxctl({"--url", url, "events", "--since", "0", "--count", "1"},
                       {{"TMX_TOKEN", "t0ken"}});
  BOOST_TEST(stream.exit == 0, stream.err);
  BOOST_TEST(stream.lines().size() == 1u, stream.out);
  auto refused = tmxctl({"--url", url, "events"});
  BOOST_TEST(refused.exit == 1);
  BOOST_TEST(contains(refused.err, "error 40101: "), refused.err);
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

BOOST_FIXTURE_TEST_CASE(colour_only_on_a_terminal, busy_server) {
  auto tty = tmxctl_on_tty({"--url", url(), "tasks"});
  BOOST_TEST(tty.exit == 0);
  BOOST_TEST(contains(tty.out, "\x1b[31mfailed\x1b[0m"), tty.out);
  auto plain = tmxctl_on_tty({"--url", url(), "--no-color", "tasks"});
  BOOST_TEST(plain.out.find('\x1b') == std::string::npos);
  BOOST_TEST(ctl({"tasks"}).out.find('\x1b') == std::string::npos);
}

// HTTP API tests of the account registry and of tasks that run as an
// account.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace tmx::test;

// -- accounts -----------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(account_create_replace_and_defaults, api_server) {
  struct put_case {
    std::string body;
    std::string expected; // the reply
  };
  std::vector<put_case> cases{
    {account_body("@user1", "sim-0001"), account_json("@user1", "sim-0001")},
    {account_body("user1", "sim-0002",
                  R"("platform":"instagram","enabled":false)"),
     account_json("user1", "sim-0002", "instagram", false)},
    // Same username: replaced as a whole, unknown fields ignored.
    {account_body("@user1", "sim-0003",
                  R"("platform":"instagram","enabled":false,"colour":"x")"),
     account_json("@user1", "sim-0003", "instagram", false)},
    {account_body("@user1", "sim-0003", R"("platform":"instagram")"),
     account_json("@user1", "sim-0003", "instagram", true)},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      BOOST_TEST(to_json(put_account(*this, c.body).data()) == c.expected);
    }
  // "@user1" and "user1" are two accounts, each stored once.
  for (auto [query, expected] :
       std::vector<std::pair<std::string, std::string>>{
         {"?platform=instagram",
          "[" + account_json("@user1", "sim-0003", "instagram", true) + ","
            + account_json("user1", "sim-0002", "instagram", false) + "]"},
         {"?serial=sim-0001&page_size=100",
          "[" + account_json("sim-0001-a", "sim-0001") + ","
            + account_json("sim-0001-b", "sim-0001") + "]"},
       })
    BOOST_TEST_CONTEXT("GET /api/v1/account" << query) {
      auto r = account_list(*this, query);
      BOOST_TEST(to_json(member(r.data(), "accounts")) == expected);
    }
  BOOST_TEST(count(account_list(*this), "total") == 10);
  // The device list shows each device's accounts as registered now.
  for (auto [serial, expected] :
       std::vector<std::pair<std::string, std::set<std::string>>>{
         {"sim-0001", {"sim-0001-a", "sim-0001-b"}},
         {"sim-0002", {"sim-0002-a", "sim-0002-b", "user1"}},
         {"sim-0003", {"@user1", "sim-0003-a", "sim-0003-b"}},
       })
    BOOST_TEST_CONTEXT(serial) {
      auto device = device_named(*this, serial);
      std::set<std::string> got;
      for (auto& a : member(device, "accounts").GetArray())
        got.insert(text_of(a));
      BOOST_TEST((got == expected));
    }
}

BOOST_FIXTURE_TEST_CASE(account_errors_store_nothing, api_server) {
  auto bad_put = [](const std::string& body, const char* names) {
    return error_case{"POST", "/api/v1/account", body, 400, 40001, names};
  };
  auto bad_query = [](const std::string& query) {
    return error_case{"GET", "/api/v1/account?" + query,      "", 400,
                      40001, query.substr(0, query.find('='))};
  };
  check_errors(
    *this,
    {
      bad_put(R"({"serial":"sim-0001"})", "username"),
      bad_put(account_body("", "sim-0001"), "username"),
      bad_put(R"({"username":7,"serial":"sim-0001"})", "username"),
      bad_put(R"({"username":["a"],"serial":"sim-0001"})", "username"),
      bad_put(R"({"username":"a"})", "serial"),
      bad_put(account_body("a", ""), "serial"),
      bad_put(R"({"username":"a","serial":["sim-0001"]})", "serial"),
      bad_put(account_body("a", "sim-9999"), "sim-9999"),
      bad_put(account_body("a", "sim-0001", R"("platform":"x")"), "platform"),
      bad_put(account_body("a", "sim-0001", R"("platform":1)"), "platform"),
      bad_put(account_body("a", "sim-0001", R"("enabled":"yes")"), "enabled"),
      bad_put(account_body("a", "sim-0001", R"("enabled":1)"), "enabled"),
      bad_put("[]", ""),
      bad_put("\"a\"", ""),
      bad_put("not json", ""),
      bad_put("", ""),
      bad_query("platform=x"),
      bad_query("enabled=yes"),
      bad_query("enabled="),
      bad_query("page=0"),
      bad_query("page=abc"),
      bad_query("page_size=0"),
      bad_query("page_size=101"),
      bad_query("page_size=abc"),
      {"DELETE", "/api/v1/account/ghost", "", 404, 40401, ""},
      {"DELETE", "/api/v1/account/%40sim-0001-a", "", 404, 40401, ""},
      {"DELETE", "/api/v1/account/%zz", "", 400, 40001, "username"},
      {"PUT", "/api/v1/account", "", 405, 40001, ""},
      {"DELETE", "/api/v1/account", "", 405, 40001, ""},
      {"GET", "/api/v1/account/sim-0001-a", "", 405, 40001, ""},
      {"POST", "/api/v1/account/sim-0001-a", "", 405, 40001, ""},
    });
  auto r = account_list(*this, "?page_size=100");
  BOOST_TEST(listed_usernames(r) == sim_accounts(4));
  BOOST_TEST(count(r, "total") == 8);
}

/// Three registered accounts besides the simulated ones: "@user1"
/// (sim-0003, instagram), "user1" (sim-0004) and "@off" (sim-0002,
/// instagram, disabled).
struct registered_accounts : api_server {
  registered_accounts() {
    put_account(*this, account_body("@user1", "sim-0003",
                                    R"("platform":"instagram")"));
    put_account(*this, account_body("user1", "sim-0004"));
    put_account(*this, account_body("@off", "sim-0002",
                                    R"("platform":"instagram",)"
                                    R"("enabled":false)"));
  }
};

BOOST_FIXTURE_TEST_CASE(account_list_filters_and_paging, registered_accounts) {
  using names = std::vector<std::string>;
  struct list_case {
    std::string query;
    names expected; // in the order listed
    int64_t total;
  };
  auto sims = sim_accounts(4);
  names all{"@off", "@user1"};
  all.insert(all.end(), sims.begin(), sims.end());
  all.push_back("user1");
  auto tiktok = sims;
  tiktok.push_back("user1");
  auto enabled = all;
  enabled.erase(enabled.begin());
  std::vector<list_case> cases{
    {"?page_size=100", all, 11},
    {"?serial=sim-0002", {"@off", "sim-0002-a", "sim-0002-b"}, 3},
    {"?serial=sim-0004", {"sim-0004-a", "sim-0004-b", "user1"}, 3},
    {"?serial=sim-9999", {}, 0},
    {"?platform=instagram", {"@off", "@user1"}, 2},
    {"?platform=tiktok", tiktok, 9},
    {"?enabled=false", {"@off"}, 1},
    {"?enabled=true", enabled, 10},
    {"?serial=sim-0003&platform=instagram&enabled=true", {"@user1"}, 1},
    {"?serial=sim-0003&enabled=false", {}, 0},
    {"?page_size=4", {"@off", "@user1", "sim-0001-a", "sim-0001-b"}, 11},
    {"?page=3&page_size=4", {"sim-0004-a", "sim-0004-b", "user1"}, 11},
    {"?page=4&page_size=4", {}, 11},
    {"?page=2&page_size=2&platform=tiktok", {"sim-0002-a", "sim-0002-b"}, 9},
    {"?colour=blue&page_size=100", all, 11},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT("GET /api/v1/account" << c.query) {
      auto r = account_list(*this, c.query);
      BOOST_TEST(listed_usernames(r) == c.expected);
      BOOST_TEST(count(r, "total") == c.total);
    }
  auto r = account_list(*this);
  BOOST_TEST(count(r, "page") == 1);
  BOOST_TEST(count(r, "page_size") == 20);
  r = account_list(*this, "?page=3&page_size=4");
  BOOST_TEST(count(r, "page") == 3);
  BOOST_TEST(count(r, "page_size") == 4);
  // The simulated accounts as the device host announced them.
  r = account_list(*this, "?page_size=100");
  for (auto& a : member(r.data(), "accounts").GetArray()) {
    auto name = text_of(member(a, "username"));
    if (starts_with(name, "sim-"))
      BOOST_TEST(to_json(a) == account_json(name, name.substr(0, 8)));
  }
}

BOOST_FIXTURE_TEST_CASE(account_delete, registered_accounts) {
  auto r = del("/api/v1/account/%40user1");
  check_ok(r);
  BOOST_TEST(to_json(r.data()) == R"({"deleted_count":1})");
  check_error(del("/api/v1/account/%40user1"), 404, 40401);
  auto left = listed_usernames(account_list(*this, "?serial=sim-0004"));
  BOOST_TEST(
    left == (std::vector<std::string>{"sim-0004-a", "sim-0004-b", "user1"}));
  BOOST_TEST(count(account_list(*this, "?serial=sim-0003"), "total") == 2);
  // Gone from the registry, so gone for username mode too.
  check_error(post("/api/v1/task", task_body(usernames({"@user1"}))), 400,
              40001, "@user1");
  // A task already created for an account runs as it after the delete
  // (queued behind another one, it had not started yet).
  auto ahead = create_one(*this, task_body(serials({"sim-0004"})));
  auto queued = create_one(*this, task_body(usernames({"user1"})));
  check_ok(del("/api/v1/account/user1"));
  check_ok(del("/api/v1/account/sim-0001-a"));
  BOOST_TEST(count(account_list(*this), "total") == 8);
  BOOST_REQUIRE(reaches(*this, queued, 2));
  BOOST_TEST(ms_of(task_of(*this, queued), "started_at")
             >= ms_of(task_of(*this, ahead), "finished_at"));
  auto first_line = run_log_of(*this, queued).front().text;
  BOOST_TEST(starts_with(first_line, "started on device sim-0004 as user1"),
             first_line);
  auto device = device_named(*this, "sim-0004");
  BOOST_TEST(to_json(member(device, "accounts"))
             == R"(["sim-0004-a","sim-0004-b"])");
}

BOOST_FIXTURE_TEST_CASE(username_mode_uses_the_registry, registered_accounts) {
  // (serial, username) of each task, sorted; "@user1" and "user1" are two
  // accounts.
  using unit = std::pair<std::string, std::string>;
  auto units_of = [&](const ids& made) {
    std::vector<unit> out;
    for (auto id : made) {
      auto t = task_of(*this, id);
      out.emplace_back(text_of(member(t.data(), "serial")),
                       text_of(member(t.data(), "username")));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto made = create(*this, task_body(usernames({"@user1", "user1"}), "post",
                                      "{}", later));
  BOOST_TEST(
    (units_of(made)
     == std::vector<unit>{{"sim-0003", "@user1"}, {"sim-0004", "user1"}}));
  // Multi-account mode: the enabled accounts of each serial, registered
  // ones included, disabled ones ("@off") skipped.
  made = create(*this, task_body(serials({"sim-0002", "sim-0003"}), "post",
                                 "{}", later + "," + multi_account));
  BOOST_TEST((units_of(made)
              == std::vector<unit>{{"sim-0002", "sim-0002-a"},
                                   {"sim-0002", "sim-0002-b"},
                                   {"sim-0003", "@user1"},
                                   {"sim-0003", "sim-0003-a"},
                                   {"sim-0003", "sim-0003-b"}}));
  put_account(*this,
              account_body("sim-0002-a", "sim-0002", R"("enabled":false)"));
  made = create(*this, task_body(serials({"sim-0002"}), "post", "{}",
                                 later + "," + multi_account));
  BOOST_TEST((units_of(made) == std::vector<unit>{{"sim-0002", "sim-0002-b"}}));
  // A disabled account, or a serial without an enabled one: nothing made.
  put_account(*this,
              account_body("sim-0002-b", "sim-0002", R"("enabled":false)"));
  auto before = count(stats_matching_list(*this), "total");
  BOOST_TEST(before == 8);
  check_errors(
    *this, {
             bad_create(task_body(usernames({"sim-0001-a", "@off"})), "@off"),
             bad_create(task_body(usernames({"sim-0002-a"})), "sim-0002-a"),
             bad_create(task_body(serials({"sim-0001", "sim-0002"}), "post",
                                  "{}", multi_account),
                        "sim-0002"),
           });
  BOOST_TEST(count(stats_matching_list(*this), "total") == before);
  // Enabled again, it is usable again.
  put_account(*this, account_body("@off", "sim-0001"));
  made = create(*this, task_body(usernames({"@off"}), "post", "{}", later));
  BOOST_TEST((units_of(made) == std::vector<unit>{{"sim-0001", "@off"}}));
}

BOOST_AUTO_TEST_CASE(an_account_runs_one_task_at_a_time) {
  api_server srv(options{{"sim.task-duration", "400ms"}});
  put_account(srv, account_body("@shared", "sim-0001"));
  auto first = create_one(srv, task_body(usernames({"@shared"})));
  // The account moves to another device while its first task is queued
  // or running there.
  put_account(srv, account_body("@shared", "sim-0002"));
  auto second = create_one(srv, task_body(usernames({"@shared"})));
  int64_t most_running = 0;
  BOOST_REQUIRE(wait_until(
    [&] {
      auto running = count(srv.get("/api/v1/task?status=1"), "total");
      most_running = std::max(most_running, running);
      return count(srv.get("/api/v1/task/stats"), "completed") == 2;
    },
    15s));
  BOOST_TEST(most_running <= 1);
  auto a = task_of(srv, first);
  auto b = task_of(srv, second);
  BOOST_TEST(text_of(member(a.data(), "serial")) == "sim-0001");
  BOOST_TEST(text_of(member(b.data(), "serial")) == "sim-0002");
  BOOST_TEST(text_of(member(b.data(), "username")) == "@shared");
  // The run that started second started after the other one ended.
  auto a_run = std::pair{ms_of(a, "started_at"), ms_of(a, "finished_at")};
  auto b_run = std::pair{ms_of(b, "started_at"), ms_of(b, "finished_at")};
  auto [earlier, later_run] = std::minmax(a_run, b_run);
  BOOST_TEST(later_run.first >= earlier.second,
             "a run from " << later_run.first << " overlaps one until "
                           << earlier.second);
  // Both wanted the account at once, or the test proved nothing.
  BOOST_WARN_MESSAGE(ms_of(b, "created_at") < earlier.second,
                     "the first run ended before the second task existed");
}

BOOST_AUTO_TEST_CASE(a_task_waiting_for_its_account_lets_others_pass) {
  api_server srv(options{{"sim.task-duration", "600ms"}});
  put_account(srv, account_body("@shared", "sim-0001"));
  auto first = create_one(srv, task_body(usernames({"@shared"})));
  BOOST_REQUIRE(reaches(srv, first, 1));
  put_account(srv, account_body("@shared", "sim-0002"));
  auto waiting = create_one(srv, task_body(usernames({"@shared"})));
  auto behind = create_one(srv, task_body(serials({"sim-0002"})));
  BOOST_REQUIRE(completes(srv, 3));
  auto a = task_of(srv, first);
  auto w = task_of(srv, waiting);
  auto b = task_of(srv, behind);
  BOOST_TEST(ms_of(w, "started_at") >= ms_of(a, "finished_at"));
  if (ms_of(b, "created_at") < ms_of(a, "finished_at")) {
    // sim-0002 was free, and its first task blocked: the next one ran.
    BOOST_TEST(ms_of(b, "started_at") < ms_of(a, "finished_at"),
               "task " << behind
                       << " waited for an account it does not "
                          "use");
    BOOST_TEST(ms_of(w, "started_at") >= ms_of(b, "finished_at"));
  } else {
    BOOST_WARN_MESSAGE(false, "the first run ended before the third task "
                              "existed");
  }
}

BOOST_AUTO_TEST_CASE(an_ended_run_frees_its_account_and_its_slot) {
  // What makes B and C wait while A runs: one account they share (moved
  // from device to device), or a device limit of 1.
  struct gate_case {
    std::string gate;
    options extra;
  };
  for (auto& c : {gate_case{"account", {}},
                  gate_case{"device limit", {{"license.device-limit", "1"}}}})
    BOOST_TEST_CONTEXT("gate: " << c.gate) {
      api_server srv(merged({{"sim.task-duration", "60s"}}, c.extra));
      auto make = [&](const std::string& serial) {
        if (c.gate != "account")
          return create_one(srv, task_body(serials({serial})));
        put_account(srv, account_body("@shared", serial));
        return create_one(srv, task_body(usernames({"@shared"})));
      };
      auto a = make("sim-0001");
      BOOST_REQUIRE(reaches(srv, a, 1));
      ids waiting{make("sim-0002"), make("sim-0003")};
      auto running_one = [&] {
        auto r = list(srv, "?status=1");
        auto running = listed_ids(r);
        return running.size() == 1 ? running.front() : 0;
      };
      BOOST_TEST(running_one() == a);
      BOOST_TEST(status_of(srv, waiting[0]) == 0);
      BOOST_TEST(status_of(srv, waiting[1]) == 0);
      // A stop hands the gate on; so does the delete of a running task.
      acted(srv, a, "stop");
      uint64_t next = 0;
      BOOST_REQUIRE(wait_until(
        [&] { return (next = running_one()) != 0 && next != a; }, 15s));
      check_ok(srv.del(task_path(next)));
      auto last = next == waiting[0] ? waiting[1] : waiting[0];
      BOOST_TEST(reaches(srv, last, 1));
    }
}

BOOST_FIXTURE_TEST_CASE(registered_accounts_survive_a_restart,
                        registered_accounts) {
  put_account(*this,
              account_body("sim-0001-a", "sim-0001", R"("enabled":false)"));
  put_account(*this, account_body("sim-0001-b", "sim-0002"));
  auto before = to_json(account_list(*this, "?page_size=100").data());
  kill();
  require_start();
  // The device host announced its accounts again; the operator's settings
  // stay.
  BOOST_TEST(to_json(account_list(*this, "?page_size=100").data()) == before);
  check_error(post("/api/v1/task", task_body(serials({"sim-0001"}), "post",
                                             "{}", multi_account)),
              400, 40001, "sim-0001");
  auto made = create(*this, task_body(serials({"sim-0002"}), "post", "{}",
                                      later + "," + multi_account));
  std::vector<std::string> names;
  for (auto id : made)
    names.push_back(text_of(member(task_of(*this, id).data(), "username")));
  std::sort(names.begin(), names.end());
  BOOST_TEST(
    names
    == (std::vector<std::string>{"sim-0001-b", "sim-0002-a", "sim-0002-b"}));
}

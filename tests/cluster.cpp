// Black-box tests of a tmx cluster: one real tmx-server and tmx-agent
// processes on the loopback cluster port. Tasks spread over the agents'
// devices; an agent killed, frozen, refused or restarted; the server
// restarted under its agents; two agents claiming one serial.
#define BOOST_TEST_MODULE cluster
#include <boost/test/unit_test.hpp>

#include "tests/cluster_fixture.hpp"

#include <regex>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

// -- losing an agent ----------------------------------------------------------

/// alpha (two devices) runs one task on alpha-0001 and has a second one
/// queued there; beta runs one 5 s task on beta-0001.
struct alpha_busy {
  explicit alpha_busy(const std::string& alpha_duration) {
    c.join("alpha", 2, alpha_duration);
    c.join("beta", 1, "5s");
    run = c.create(serial_of("alpha", 1));
    queued = c.create(serial_of("alpha", 1));
    other = c.create(serial_of("beta", 1));
    c.wait_status(run, running);
    c.wait_status(other, running);
    BOOST_REQUIRE_EQUAL(c.status(queued), pending);
    started_at = field(c.task(run), "started_at");
  }

  /// Sends `sig` to alpha: within 5 s its running task fails as "device host
  /// lost" and it is offline, its queued task pending, beta unaffected.
  void lose_alpha(int sig, const char* what) {
    auto t0 = steady::now();
    c.agent("alpha").signal(sig);
    require_by(t0 + 5s, "alpha's running task failed",
               [&] { return c.status(run) == failed; });
    auto took = steady::now() - t0;
    BOOST_TEST_MESSAGE(what << " of an agent: its running task failed after "
                            << seconds(took) << " s");
    check_task(c, run, failed, host_lost, "alpha");
    require_by(t0 + 5s, "alpha and its devices offline", [&] {
      return field(c.node("alpha"), "state") == "offline"
             && field(c.device(serial_of("alpha", 1)), "state") == "offline"
             && field(c.device(serial_of("alpha", 2)), "state") == "offline";
    });
    BOOST_TEST(c.status(queued) == pending);
    auto beta_status = c.status(other);
    BOOST_TEST((beta_status == running || beta_status == completed));
    c.wait_status(other, completed);
    check_task(c, other, completed, "", "beta");
    BOOST_TEST(c.serving("beta", 1));
    // beta's run took seconds: alpha's queued task still waits for alpha.
    BOOST_TEST(c.status(queued) == pending);
  }

  /// Once alpha serves again, its queued task runs there; the failed run
  /// is not run again.
  void check_alpha_back() {
    c.wait_serving("alpha", 2);
    c.wait_status(queued, completed);
    check_task(c, queued, completed, "", "alpha");
    check_run_not_repeated();
  }

  /// The failed run was not run again.
  void check_run_not_repeated() const {
    auto t = c.task(run);
    BOOST_TEST(int_of(member(t, "status")) == failed);
    BOOST_TEST(field(t, "started_at") == started_at);
    BOOST_TEST(int_of(member(t, "retry_count")) == 0);
  }

  cluster c;
  uint64_t run = 0;
  uint64_t queued = 0;
  uint64_t other = 0;
  std::string started_at;
};

} // namespace

BOOST_AUTO_TEST_CASE(tasks_spread_over_both_agents_devices) {
  cluster c;
  const std::vector<std::string> names{"alpha", "beta"};
  std::vector<std::string> serials;
  for (auto& name : names) {
    c.join(name, 2, "200ms");
    serials.push_back(serial_of(name, 1));
    serials.push_back(serial_of(name, 2));
  }
  auto tasks = c.run_twice(serials);
  BOOST_REQUIRE_EQUAL(tasks.size(), 8u);
  for (auto id : tasks) {
    auto t = c.task(id);
    auto serial = field(t, "serial");
    check_task(c, id, completed, "", serial.substr(0, serial.rfind('-')));
  }
  const std::regex address(R"(127\.0\.0\.1:\d+)");
  for (auto& name : names)
    BOOST_TEST_CONTEXT("node " << name) {
      auto n = c.node(name);
      BOOST_TEST(field(n, "state") == "online");
      BOOST_TEST(std::regex_match(field(n, "address"), address),
                 "address " << to_json(member(n, "address")));
      BOOST_TEST(to_json(member(n, "devices"))
                 == json_strings({serial_of(name, 1), serial_of(name, 2)}));
      BOOST_TEST(member(n, "connected_since").IsString());
      BOOST_TEST(member(n, "last_seen").IsString());
    }
  auto nodes = c.get("/api/v1/node", "nodes");
  BOOST_TEST((nodes.IsArray() && nodes.Size() == 2u), to_json(nodes));
}

BOOST_AUTO_TEST_CASE(sigkill_of_an_agent_fails_its_running_task) {
  alpha_busy b("30s");
  b.lose_alpha(SIGKILL, "SIGKILL");
  b.check_run_not_repeated();
}

BOOST_AUTO_TEST_CASE(sigstop_of_an_agent_fails_its_running_task) {
  alpha_busy b("4s");
  auto since = field(b.c.node("alpha"), "connected_since");
  b.lose_alpha(SIGSTOP, "SIGSTOP");
  b.c.agent("alpha").signal(SIGCONT);
  b.check_alpha_back();
  // Registered anew.
  BOOST_TEST(field(b.c.node("alpha"), "connected_since") != since);
}

BOOST_AUTO_TEST_CASE(agent_with_a_wrong_secret_is_refused) {
  cluster c;
  c.join("alpha", 1, "200ms");
  auto& intruder = c.launch("intruder", 2, "200ms",
                            {{"cluster.secret", "not-the-secret"}});
  auto t0 = steady::now();
  auto status = intruder.wait_exit(10s);
  BOOST_REQUIRE_MESSAGE(status, "the refused agent did not exit");
  BOOST_TEST_MESSAGE("refused agent exited after "
                     << seconds(steady::now() - t0) << " s");
  BOOST_TEST(*status == 1);
  BOOST_TEST(contains(intruder.log(), "refused: wrong cluster secret"),
             intruder.log());
  BOOST_TEST(contains(c.server().log(),
                      "refused node 'intruder': wrong cluster secret"));
  auto nodes = c.get("/api/v1/node", "nodes");
  BOOST_REQUIRE(nodes.IsArray());
  BOOST_TEST(nodes.Size() == 1u, to_json(nodes));
  BOOST_TEST(c.node("intruder").IsNull());
  auto devices = c.get("/api/v1/device", "devices");
  BOOST_REQUIRE(devices.IsArray());
  for (auto& d : devices.GetArray())
    BOOST_TEST(field(d, "node") == "alpha", to_json(d));
  auto r = c.post_tasks({serial_of("intruder", 1)});
  BOOST_TEST(r.code() == 40001, r.text);
}

BOOST_AUTO_TEST_CASE(a_live_node_name_is_unique) {
  cluster c;
  c.join("alpha", 1, "200ms");
  // A second agent under the same name (two agents without --node.name on
  // one machine): refused, naming the clash, and it exits 1.
  auto& twin = c.launch("twin", 1, "200ms",
                        {{"node.name", "alpha"}, {"sim.prefix", "twin-"}});
  auto status = twin.wait_exit(10s);
  BOOST_REQUIRE_MESSAGE(status, "the second 'alpha' did not exit");
  BOOST_TEST(*status == 1);
  BOOST_TEST(contains(twin.log(), "node name 'alpha' is taken"), twin.log());
  BOOST_TEST(c.get("/api/v1/node", "nodes").Size() == 1u);
  BOOST_TEST(c.device("twin-0001").IsNull());
  // Once the first is dead, an agent of that name is welcome.
  c.agent("alpha").kill();
  require_by(steady::now() + 10s, "alpha offline",
             [&] { return field(c.node("alpha"), "state") == "offline"; });
  auto& heir = c.launch("heir", 1, "200ms",
                        {{"node.name", "alpha"}, {"sim.prefix", "heir-"}});
  require_by(steady::now() + 10s, "the new alpha serves",
             [&] { return field(c.device("heir-0001"), "state") == "online"; });
  BOOST_TEST(!heir.wait_exit(0s));
}

BOOST_AUTO_TEST_CASE(restarted_agent_runs_its_queued_task) {
  alpha_busy b("30s");
  b.lose_alpha(SIGKILL, "SIGKILL (then a restart)");
  auto& alpha = b.c.agent("alpha");
  BOOST_REQUIRE_EQUAL(alpha.wait_exit(5s).value_or(-1), 128 + SIGKILL);
  // Same node name; runs short enough to wait for now.
  alpha.launch({{"sim.task-duration", "300ms"}});
  b.check_alpha_back();
}

BOOST_AUTO_TEST_CASE(server_restart_under_connected_agents) {
  cluster c;
  c.join("alpha", 1, "30s");
  c.join("beta", 1, "5s");
  const std::vector<std::string> nodes{"alpha", "beta"};
  ids runs{c.create(serial_of("alpha", 1)), c.create(serial_of("beta", 1))};
  auto queued = c.create(serial_of("beta", 1));
  std::vector<std::string> started;
  for (auto id : runs) {
    c.wait_status(id, running);
    started.push_back(field(c.task(id), "started_at"));
  }
  BOOST_REQUIRE_EQUAL(c.status(queued), pending);

  auto t0 = steady::now();
  c.crash_and_restart_server();
  for (size_t i = 0; i < runs.size(); ++i)
    check_task(c, runs[i], failed, interrupted, nodes[i]);
  c.wait_serving("alpha", 1, 30s);
  c.wait_serving("beta", 1, 30s);
  BOOST_TEST_MESSAGE("both agents back " << seconds(steady::now() - t0)
                                         << " s after the server's SIGKILL");
  require_by(steady::now() + 5s, "alpha ended its run",
             [&] { return contains(c.agent("alpha").log(), "ending 1 runs"); });
  c.wait_status(queued, completed);
  check_task(c, queued, completed, "", "beta");
  // Seconds later, the interrupted runs were not run again.
  for (size_t i = 0; i < runs.size(); ++i)
    BOOST_TEST_CONTEXT("task " << runs[i]) {
      auto t = c.task(runs[i]);
      BOOST_TEST(int_of(member(t, "status")) == failed);
      BOOST_TEST(field(t, "started_at") == started[i]);
    }
}

BOOST_AUTO_TEST_CASE(duplicate_serial_moves_when_its_holder_dies) {
  cluster c;
  const options same_prefix{{"sim.prefix", "dup-"}};
  const std::string serial = "dup-0001";
  auto& alpha = c.join("alpha", 1, "200ms", same_prefix);
  auto first = c.create(serial);
  c.wait_status(first, completed);
  check_task(c, first, completed, "", "alpha");

  auto& beta = c.launch("beta", 1, "200ms", same_prefix);
  c.wait_serving("beta", 0); // registered, its one device refused
  BOOST_TEST(contains(c.server().log(), "node 'beta' claims device " + serial),
             c.server().log());
  // The agent logs the refusal after the server has answered it.
  BOOST_TEST(wait_until(
    [&] { return contains(beta.log(), "device " + serial + " refused"); },
    10s));
  BOOST_TEST(c.serving("alpha", 1));
  BOOST_TEST(field(c.device(serial), "node") == "alpha");

  auto t0 = steady::now();
  alpha.kill();
  require_by(t0 + 10s, serial + " on beta",
             [&] { return c.serving("beta", 1); });
  BOOST_TEST_MESSAGE(serial << " moved to the second node "
                            << seconds(steady::now() - t0)
                            << " s after the first one's SIGKILL");
  BOOST_TEST(field(c.node("alpha"), "state") == "offline");
  auto second = c.create(serial);
  c.wait_status(second, completed);
  check_task(c, second, completed, "", "beta");
}

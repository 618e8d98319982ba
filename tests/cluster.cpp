// Black-box tests of a tmx cluster: one real tmx-server and tmx-agent
// processes on the loopback cluster port. Tasks spread over the agents'
// devices; an agent killed, frozen, refused or restarted; the server
// restarted under its agents; two agents claiming one serial.
#define BOOST_TEST_MODULE cluster
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/agent_process.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

using ids = std::vector<uint64_t>;

const std::string secret = "cluster-test-secret";
const std::string host_lost = "device host lost";
const std::string interrupted = "interrupted by server restart";

enum task_status : int64_t {
  pending = 0,
  running = 1,
  completed = 2,
  failed = 3
};

double seconds(steady::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Serial `index` (1-based) of an agent whose serial prefix is `name-`.
std::string serial_of(const std::string& name, int index) {
  char number[8];
  std::snprintf(number, sizeof number, "%04d", index);
  return name + "-" + number;
}

// -- the cluster --------------------------------------------------------------

/// A tmx-server without devices of its own, on a free HTTP port, a free
/// cluster port and a fresh data dir, and the agents of one test case (each
/// logging to <name>.log in the server's dir). Every process is killed when
/// the case ends; the logs are printed when it failed.
class cluster {
public:
  cluster() {
    do
      cluster_port_ = free_port();
    while (cluster_port_ == server_.port());
    server_options_ = {{"sim.devices", "0"},
                       {"cluster.port", std::to_string(cluster_port_)},
                       {"cluster.secret", secret}};
    server_.require_start(server_options_);
  }

  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  ~cluster() {
    using namespace boost::unit_test;
    if (std::uncaught_exceptions() == 0
        && results_collector.results(framework::current_test_case().p_id)
             .passed())
      return;
    std::cerr << "---- server log\n" << server_.log();
    for (auto& [name, agent] : agents_)
      std::cerr << "---- agent " << name << " log\n" << agent->log();
  }

  server_process& server() { return server_; }

  /// SIGKILL, then a start on the same ports and data dir.
  void crash_and_restart_server() {
    server_.kill();
    server_.require_start(server_options_);
  }

  /// Launches agent `name` with `devices` simulated devices whose runs take
  /// `duration`; returns at once.
  agent_process& launch(const std::string& name, int devices,
                        const std::string& duration,
                        const options& extra = {}) {
    auto& slot = agents_[name];
    if (slot)
      throw std::logic_error("agent " + name + " exists already");
    slot = std::make_unique<agent_process>(
      options{{"cluster.address", "127.0.0.1"},
              {"cluster.port", std::to_string(cluster_port_)},
              {"cluster.secret", secret},
              {"node.name", name},
              {"sim.devices", std::to_string(devices)},
              {"sim.task-duration", duration}},
      server_.dir(), server_.dir() / (name + ".log"));
    slot->launch(extra);
    return *slot;
  }

  /// launch(), then waits until the node serves `devices` devices.
  agent_process& join(const std::string& name, int devices,
                      const std::string& duration, const options& extra = {}) {
    auto& agent = launch(name, devices, duration, extra);
    wait_serving(name, static_cast<size_t>(devices));
    return agent;
  }

  agent_process& agent(const std::string& name) { return *agents_.at(name); }

  /// Whether node `name` is online and serves exactly `count` devices, each
  /// of them online under this node.
  bool serving(const std::string& name, size_t count) const {
    auto n = node(name);
    auto& serials = member(n, "devices");
    if (text_of(member(n, "state")) != "online" || !serials.IsArray()
        || serials.Size() != count)
      return false;
    for (auto& s : serials.GetArray()) {
      auto d = device(text_of(s));
      if (text_of(member(d, "node")) != name
          || text_of(member(d, "state")) == "offline")
        return false;
    }
    return true;
  }

  void wait_serving(const std::string& name, size_t count,
                    steady::duration deadline = 20s) const {
    require_by(steady::now() + deadline,
               "node " + name + " serving " + std::to_string(count)
                 + " devices",
               [&] { return serving(name, count); });
  }

  // -- the HTTP API --

  /// `data` of GET `path` (its member `field`, if given), or null on an
  /// error reply.
  rapidjson::Document get(const std::string& path,
                          const char* field = nullptr) const {
    auto r = server_.get(path);
    rapidjson::Document out;
    if (r.code() == 0)
      out.CopyFrom(field ? member(r.data(), field) : r.data(),
                   out.GetAllocator());
    return out;
  }

  /// The object of the list `data.field` of GET `path` whose `key` is
  /// `value`, or null.
  rapidjson::Document find(const std::string& path, const char* field,
                           const char* key, const std::string& value) const {
    auto list = get(path, field);
    rapidjson::Document out;
    if (list.IsArray())
      for (auto& x : list.GetArray())
        if (text_of(member(x, key)) == value)
          out.CopyFrom(x, out.GetAllocator());
    return out;
  }

  rapidjson::Document node(const std::string& name) const {
    return find("/api/v1/node", "nodes", "name", name);
  }

  rapidjson::Document device(const std::string& serial) const {
    return find("/api/v1/device", "devices", "serial", serial);
  }

  rapidjson::Document task(uint64_t id) const {
    return get("/api/v1/task/" + std::to_string(id));
  }

  int64_t status(uint64_t id) const {
    return int_of(member(task(id), "status"));
  }

  /// Tasks of a stats counter ("completed", ...).
  int64_t counted(const char* counter) const {
    return int_of(member(get("/api/v1/task/stats"), counter));
  }

  /// POST /api/v1/task: one `post` task per serial.
  reply post_tasks(const std::vector<std::string>& serials) const {
    return server_.post("/api/v1/task", "{\"serials\":" + json_strings(serials)
                                          + ",\"script_name\":\"post\","
                                            "\"script_config\":{}}");
  }

  /// post_tasks() that must succeed; the ids.
  ids create(const std::vector<std::string>& serials) const {
    auto r = post_tasks(serials);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, "create failed: " << r.text);
    return ids_of(member(r.data(), "task_ids"));
  }

  uint64_t create(const std::string& serial) const {
    auto created = create(std::vector<std::string>{serial});
    BOOST_REQUIRE_EQUAL(created.size(), 1u);
    return created.front();
  }

  void wait_status(uint64_t id, int64_t status,
                   steady::duration deadline = 20s) const {
    require_by(steady::now() + deadline,
               "task " + std::to_string(id) + " in status "
                 + std::to_string(status),
               [&] { return this->status(id) == status; });
  }

private:
  // Declared first, destroyed last: after the agents.
  server_process server_;
  uint16_t cluster_port_ = 0;
  options server_options_;
  std::map<std::string, std::unique_ptr<agent_process>> agents_;
};

std::string field(const rapidjson::Value& v, const char* name) {
  return text_of(member(v, name));
}

/// Status, remark and node of task `id`.
void check_task(const cluster& c, uint64_t id, int64_t status,
                const std::string& remark, const std::string& node) {
  auto t = c.task(id);
  BOOST_TEST_CONTEXT("task " << to_json(t)) {
    BOOST_TEST(int_of(member(t, "status")) == status);
    BOOST_TEST(field(t, "remark") == remark);
    BOOST_TEST(field(t, "node") == node);
  }
}

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
  auto tasks = c.create(serials);
  auto more = c.create(serials);
  tasks.insert(tasks.end(), more.begin(), more.end());
  BOOST_REQUIRE_EQUAL(tasks.size(), 8u);
  require_by(steady::now() + 30s, "8 tasks completed",
             [&] { return c.counted("completed") == 8; });
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

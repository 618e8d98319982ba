// The cluster of the multi-process suites (tests/cluster.cpp,
// tests/cluster_tls.cpp): one real tmx-server without devices of its own
// and the tmx-agent processes of one test case, plus the API calls the
// cases make.
#pragma once

#include "tests/agent_process.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tmx::test {

using ids = std::vector<uint64_t>;

inline const std::string secret = "cluster-test-secret";
inline const std::string host_lost = "device host lost";
inline const std::string interrupted = "interrupted by server restart";

enum task_status : int64_t {
  pending = 0,
  running = 1,
  completed = 2,
  failed = 3
};

inline double seconds(steady::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Serial `index` (1-based) of an agent whose serial prefix is `name-`.
inline std::string serial_of(const std::string& name, int index) {
  char number[8];
  std::snprintf(number, sizeof number, "%04d", index);
  return name + "-" + number;
}

inline std::string field(const rapidjson::Value& v, const char* name) {
  return text_of(member(v, name));
}

/// A tmx-server without devices of its own, on a free HTTP port, a free
/// cluster port and a fresh data dir, and the agents of one test case (each
/// logging to <name>.log in the server's dir). `server_extra` adds to the
/// server's options (an http.token is then sent with every request),
/// `agent_extra` to every agent's. Every process is killed when the case
/// ends; the logs are printed when it failed.
class cluster {
public:
  explicit cluster(const options& server_extra = {},
                   const options& agent_extra = {})
    : agent_extra_(agent_extra) {
    do
      cluster_port_ = free_port();
    while (cluster_port_ == server_.port());
    server_options_ = merged({{"sim.devices", "0"},
                              {"cluster.port", std::to_string(cluster_port_)},
                              {"cluster.secret", secret}},
                             server_extra);
    for (auto& [key, value] : server_options_)
      if (key == "http.token" && !value.empty())
        auth_ = {{"Authorization", "Bearer " + value}};
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

  const server_process& server() const { return server_; }

  /// The Authorization header the server wants (none without a token).
  const headers& auth() const { return auth_; }

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
      merged({{"cluster.address", "127.0.0.1"},
              {"cluster.port", std::to_string(cluster_port_)},
              {"cluster.secret", secret},
              {"node.name", name},
              {"sim.devices", std::to_string(devices)},
              {"sim.task-duration", duration}},
             agent_extra_),
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

  reply send(const std::string& method, const std::string& path,
             const std::string& body = {}) const {
    return server_.send(method, path, body, auth_);
  }

  /// `data` of GET `path` (its member `field`, if given), or null on an
  /// error reply.
  rapidjson::Document get(const std::string& path,
                          const char* field = nullptr) const {
    auto r = send("GET", path);
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
    return send("POST", "/api/v1/task",
                "{\"serials\":" + json_strings(serials)
                  + ",\"script_name\":\"post\",\"script_config\":{}}");
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

  /// Two tasks for each of `serials`, created in two requests (a device
  /// queues the second behind the first); waits until all of them have
  /// completed and returns their ids.
  ids run_twice(const std::vector<std::string>& serials) const {
    auto tasks = create(serials);
    auto more = create(serials);
    tasks.insert(tasks.end(), more.begin(), more.end());
    BOOST_REQUIRE_EQUAL(tasks.size(), 2 * serials.size());
    require_by(steady::now() + 30s, "every task completed", [&] {
      return counted("completed") == static_cast<int64_t>(tasks.size());
    });
    return tasks;
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
  options agent_extra_;
  headers auth_;
  std::map<std::string, std::unique_ptr<agent_process>> agents_;
};

/// Status, remark and node of task `id`.
inline void check_task(const cluster& c, uint64_t id, int64_t status,
                       const std::string& remark, const std::string& node) {
  auto t = c.task(id);
  BOOST_TEST_CONTEXT("task " << to_json(t)) {
    BOOST_TEST(int_of(member(t, "status")) == status);
    BOOST_TEST(field(t, "remark") == remark);
    BOOST_TEST(field(t, "node") == node);
  }
}

} // namespace tmx::test

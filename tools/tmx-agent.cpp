// tmx-agent: a device host on another machine. Connects to the server's
// cluster port, registers its devices (simulated, or the phones of the adb
// server) with the cluster secret and runs the tasks the server's device
// actors hand it.
#include "actors/connector.hpp"
#include "tools/host_options.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>
#include <caf/settings.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace {

using namespace tmx;

struct agent_config : caf::actor_system_config {
  agent_config() {
    tmx::add_message_types(*this);
    load<caf::io::middleman>();
    set_heartbeat_defaults(*this);
    set_scheduler_defaults(*this);
    opt_group{custom_options_, "cluster"}
      .add<std::string>("address", "server's cluster address (127.0.0.1)")
      .add<int64_t>("port", "server's cluster port (50810)")
      .add<std::string>("secret", "the server's cluster secret")
      .add<caf::timespan>("ping-timeout", "the server is lost when it leaves "
                                          "pings unanswered this long (3s)");
    opt_group{custom_options_, "node"}.add<std::string>(
      "name", "this node's name (default: host name)");
    opt_group{custom_options_, "sim"}
      .add<int64_t>("devices", "simulated devices (default 4)")
      .add<std::string>("prefix", "serial prefix (default: node name + -)")
      .add<caf::timespan>("task-duration", "simulated run time (default 2s)")
      .add<double>("failure-rate", "share of simulated runs that fail, 0-1");
    declare_host_options(custom_options_);
  }
};

struct agent_options {
  connector_options link;
  host_options host;
};

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return "agent";
  return buf;
}

bool read_options(const caf::settings& content, agent_options& out,
                  std::string& error) {
  option_reader r(content);
  int64_t port = out.link.port;
  auto& sim = out.host.sim;
  int64_t devices = sim.devices;
  r.text("cluster.address", out.link.address);
  r.integer("cluster.port", 1, 65535, port);
  r.text("cluster.secret", out.link.secret);
  read_ping_timeout(r, out.link.ping_timeout);
  r.text("node.name", out.link.node);
  r.integer("sim.devices", 0, 9999, devices);
  r.text("sim.prefix", sim.prefix);
  r.duration("sim.task-duration", sim.task_duration);
  r.number("sim.failure-rate", 0, 1, sim.failure_rate);
  read_host_options(r, out.host);
  error = r.error();
  out.link.port = static_cast<uint16_t>(port);
  sim.devices = static_cast<int>(devices);
  if (out.link.node.empty())
    out.link.node = host_name();
  if (sim.prefix.empty())
    sim.prefix = out.link.node + "-";
  out.host.set_node(out.link.node);
  return error.empty();
}

} // namespace

int main(int argc, char** argv) {
  auto signals = block_stop_signals();

  agent_config cfg;
  agent_options opts;
  opts.host.sim.devices = 4;
  opts.host.sim.prefix.clear();
  auto read = [&](const caf::settings& content, std::string& err) {
    agent_options fresh = opts;
    if (!read_options(content, fresh, err))
      return false;
    opts = fresh;
    return true;
  };
  if (!load_options(cfg, argc, argv, "tmx-agent", read))
    return cfg.cli_helptext_printed ? EXIT_SUCCESS : EXIT_FAILURE;

  opts.link.tls = enable_tls_if_configured(cfg);
  caf::actor_system sys{cfg};
  auto host = spawn_host(sys, opts.host);
  auto link = sys.spawn(connector, opts.link, host);
  std::atomic<bool> refused{false};
  link->attach_functor([&refused](const caf::error& reason) {
    if (reason)
      refused = true;
  });
  if (opts.host.driver == "adb")
    spdlog::info("tmx-agent '{}': phones of the adb server {}:{}, scripts "
                 "in {}, server {}:{}",
                 opts.link.node, opts.host.adb.run.adb_address,
                 opts.host.adb.run.adb_port, opts.host.adb.run.scripts_dir,
                 opts.link.address, opts.link.port);
  else
    spdlog::info("tmx-agent '{}': {} simulated devices ({}0001..), server "
                 "{}:{}",
                 opts.link.node, opts.host.sim.devices, opts.host.sim.prefix,
                 opts.link.address, opts.link.port);
  wait_for_stop(signals, refused);
  // Read before the shutdown below, whose exit reason the functor would
  // take for a refusal (seen by tools/crash-test: exit 1 on SIGTERM).
  const bool failed = refused;
  caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

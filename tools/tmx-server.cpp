// tmx-server: the coordinator. Reads its options, opens the store, starts
// the actors and the HTTP API, and shuts all of it down in order on SIGINT
// or SIGTERM.
#include "actors/root.hpp"
#include "actors/timeouts.hpp"
#include "http/server.hpp"
#include "storage/store.hpp"
#include "tools/host_options.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/settings.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

namespace {

using namespace tmx;

struct server_config : caf::actor_system_config {
  server_config() {
    tmx::add_message_types(*this);
    load<caf::io::middleman>();
    set_heartbeat_defaults(*this);
    set_scheduler_defaults(*this);
    opt_group{custom_options_, "http"}
      .add<std::string>("address", "bind address (default localhost: "
                                   "127.0.0.1 and ::1)")
      .add<int64_t>("port", "HTTP port (default 50809)")
      .add<int64_t>("threads", "HTTP I/O threads (default 2)")
      .add<int64_t>("max-in-flight", "requests handled at once; more are "
                                     "answered 50301 (default 4096)")
      .add<int64_t>("max-connections", "open connections at most (10000)")
      .add<caf::timespan>("idle-timeout", "a connection that sends or reads "
                                          "nothing this long is closed "
                                          "(30s)")
      .add<std::string>("token", "API token clients send as "
                                 "'Authorization: Bearer <token>'")
      .add<bool>("allow-anonymous", "serve a non-loopback address without a "
                                    "token (default false)")
      .add<std::string>("web-dir", "serve the dashboard from this directory "
                                   "instead of the embedded files (for "
                                   "working on web/)");
    opt_group{custom_options_, "events"}.add<int64_t>(
      "max-unsent", "an event stream client with more events unsent is "
                    "cut off (10000)");
    opt_group{custom_options_, "cluster"}
      .add<std::string>("address", "cluster bind address (127.0.0.1)")
      .add<int64_t>("port", "cluster port for tmx-agent, 0 = none (50810)")
      .add<std::string>("secret", "shared secret agents must present")
      .add<caf::timespan>("ping-timeout", "an agent whose pings stop this "
                                          "long is lost (3s)");
    opt_group{custom_options_, "storage"}
      .add<std::string>("path", "data directory (default ./data)")
      .add<bool>("sync", "fsync every write (default false)")
      .add<std::string>("retention", "completed and failed tasks older than "
                                     "this are deleted (30d, 12h; default 0 "
                                     "= keep forever)");
    opt_group{custom_options_, "license"}
      .add<std::string>("plan", "Starter, Pro, Team or Business (default Pro)")
      .add<int64_t>("device-limit", "devices running at once, 0 = no cap");
    opt_group{custom_options_, "tmx"}.add<std::string>(
      "timezone", "time zone of HH:MM start times, a TZ "
                  "value such as \"Europe/Berlin\" "
                  "(default: the system's)");
    opt_group{custom_options_, "schedule"}.add<std::string>(
      "catch-up", "a schedule's slot missed while the server was down fires "
                  "at start-up if younger than this (10m; 0 = never)");
    opt_group{custom_options_, "retry"}
      .add<int64_t>("max-auto", "automatic retries of a failed run, 0 = off")
      .add<caf::timespan>("delay-min", "shortest delay before one (5s)")
      .add<caf::timespan>("delay-max", "longest delay before one (60s)");
    opt_group{custom_options_, "runner"}.add<double>(
      "timeout-scale", "multiplies every script timeout (1)");
    opt_group{custom_options_, "sim"}
      .add<int64_t>("devices", "simulated devices (default 8, 0 = none)")
      .add<caf::timespan>("task-duration", "simulated run time (default 2s)")
      .add<double>("failure-rate", "share of simulated runs that fail, 0-1");
    declare_host_options(custom_options_);
  }
};

struct server_options {
  http_options http;
  std::string cluster_address = "127.0.0.1";
  uint16_t cluster_port = 50810;
  bool cluster_port_given = false;
  std::string storage_path = "./data";
  bool storage_sync = false;
  std::string timezone; // "" = the system's
  node_options node;
};

/// "<n><unit>" with unit ms, s, m (or min), h or d, as milliseconds; "0".
std::optional<millis> parse_span(std::string_view text) {
  int64_t n = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (err != std::errc() || end == text.data() || n < 0)
    return std::nullopt;
  std::string_view unit(end,
                        static_cast<size_t>(text.data() + text.size() - end));
  if (unit.empty() && n == 0)
    return 0; // no unit needed for "never"
  for (auto [name, scale] :
       {std::pair{"ms", 1}, std::pair{"s", 1000}, std::pair{"m", 60'000},
        std::pair{"min", 60'000}, std::pair{"h", 3'600'000},
        std::pair{"d", 86'400'000}})
    if (unit == name)
      return n > INT64_MAX / scale ? std::nullopt
                                   : std::optional<millis>(n * scale);
  return std::nullopt;
}

/// A span option: a CAF duration (10min, 600s) or a text such as "10m" or
/// "30d", at most `max` milliseconds; `rule` says what it must be.
void read_span(const caf::settings& content, option_reader& r, const char* key,
               millis max, const char* rule, millis& out) {
  auto v = caf::get_if(&content, key);
  if (v == nullptr)
    return;
  std::optional<millis> span;
  if (auto t = caf::get_if<caf::timespan>(v); t && t->count() >= 0)
    span = std::chrono::duration_cast<std::chrono::milliseconds>(*t).count();
  else if (auto s = caf::get_if<std::string>(v))
    span = parse_span(*s);
  if (!span || *span > max)
    r.fail(std::string("option ") + key + " must be " + rule);
  else
    out = *span;
}

/// Whether a bind address reaches this machine only.
bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1"
         || address.rfind("127.", 0) == 0;
}

bool read_options(const caf::settings& content, server_options& out,
                  std::string& error) {
  option_reader r(content);
  int64_t port = out.http.port;
  int64_t threads = static_cast<int64_t>(out.http.threads);
  int64_t in_flight = static_cast<int64_t>(out.http.max_in_flight);
  int64_t connections = static_cast<int64_t>(out.http.max_connections);
  int64_t unsent = static_cast<int64_t>(out.http.max_unsent_events);
  caf::timespan idle = out.http.idle_timeout;
  auto& sim = out.node.host.sim;
  auto& retry = out.node.retry;
  int64_t devices = sim.devices;
  int64_t max_auto = retry.max_auto;
  int64_t cluster_port = out.cluster_port;
  r.text("cluster.address", out.cluster_address);
  r.integer("cluster.port", 0, 65535, cluster_port);
  out.cluster_port = static_cast<uint16_t>(cluster_port);
  out.cluster_port_given = caf::get_if(&content, "cluster.port") != nullptr;
  r.text("cluster.secret", out.node.cluster_secret);
  read_ping_timeout(r, out.node.ping_timeout);
  r.text("http.address", out.http.address);
  r.integer("http.port", 1, 65535, port);
  r.integer("http.threads", 1, 64, threads);
  r.integer("http.max-in-flight", 1, 1'000'000, in_flight);
  r.integer("http.max-connections", 1, 1'000'000, connections);
  r.duration("http.idle-timeout", idle);
  r.integer("events.max-unsent", 10, 10'000'000, unsent);
  r.text("http.token", out.http.token);
  r.text("http.web-dir", out.http.web_dir);
  if (!out.http.web_dir.empty()
      && !std::filesystem::is_regular_file(out.http.web_dir + "/index.html"))
    r.fail("option http.web-dir '" + out.http.web_dir
           + "' holds no index.html");
  bool anonymous = false;
  r.flag("http.allow-anonymous", anonymous);
  if (!is_loopback(out.http.address) && out.http.token.empty() && !anonymous)
    r.fail("option http.address '" + out.http.address
           + "' is not loopback: "
             "set http.token (or http.allow-anonymous=true to serve it "
             "without one)");
  if (idle < std::chrono::milliseconds(100))
    r.fail("option http.idle-timeout must be at least 100ms");
  r.text("storage.path", out.storage_path);
  r.flag("storage.sync", out.storage_sync);
  r.text("license.plan", out.http.license.plan);
  r.integer("license.device-limit", 0, 1000000, out.http.license.device_limit);
  r.text("tmx.timezone", out.timezone);
  read_span(content, r, "schedule.catch-up", millis{7} * 86'400'000,
            "a duration of at most a week such as 10m, 90s or 2h (0 = never)",
            out.node.schedule_catch_up);
  read_span(content, r, "storage.retention", millis{100} * 365 * 86'400'000,
            "a duration such as 30d, 12h or 90m (0 = keep forever)",
            out.node.retention);
  if (out.node.retention > 0 && out.node.retention < 1000)
    r.fail("option storage.retention must be at least 1s (0 = keep forever)");
  r.integer("retry.max-auto", 0, 1000, max_auto);
  r.millis_of("retry.delay-min", retry.delay_min);
  r.millis_of("retry.delay-max", retry.delay_max);
  if (retry.delay_min > retry.delay_max)
    r.fail("option retry.delay-min must not exceed retry.delay-max");
  r.number("runner.timeout-scale", 0.0001, 1000, out.node.timeout_scale);
  r.integer("sim.devices", 0, 9999, devices);
  r.duration("sim.task-duration", sim.task_duration);
  r.number("sim.failure-rate", 0, 1, sim.failure_rate);
  read_host_options(r, out.node.host);
  out.node.host.set_node("local");
  error = r.error();
  if (error.empty() && !out.timezone.empty() && !known_zone(out.timezone))
    error = "option tmx.timezone names no known time zone (e.g. "
            "\"Europe/Berlin\", \"UTC\", or a POSIX TZ rule)";
  auto& plan = out.http.license.plan;
  if (error.empty() && plan != "Starter" && plan != "Pro" && plan != "Team"
      && plan != "Business")
    error = "option license.plan must be one of Starter, Pro, Team, Business";
  out.http.port = static_cast<uint16_t>(port);
  out.http.threads = static_cast<size_t>(threads);
  out.http.max_in_flight = static_cast<size_t>(in_flight);
  out.http.max_connections = static_cast<size_t>(connections);
  out.http.max_unsent_events = static_cast<size_t>(unsent);
  out.http.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    idle);
  sim.devices = static_cast<int>(devices);
  retry.max_auto = static_cast<uint32_t>(max_auto);
  out.node.device_limit = static_cast<size_t>(out.http.license.device_limit);
  return error.empty();
}

/// Stops the components in order (the store last); false if they did not
/// confirm it.
bool shut_down(caf::scoped_actor& self, const root_actor& supervisor) {
  bool clean = true;
  self->request(supervisor, request_timeout, shutdown_atom::value)
    .receive([](ok_atom) {},
             [&](caf::error& err) {
               spdlog::error("shutdown: {}", self->system().render(err));
               clean = false;
             });
  return clean;
}

} // namespace

int main(int argc, char** argv) {
  auto signals = block_stop_signals();

  server_config cfg;
  server_options opts;
  std::string error;
  auto read = [&](const caf::settings& content, std::string& err) {
    server_options fresh;
    if (!read_options(content, fresh, err))
      return false;
    opts = fresh;
    return true;
  };
  if (!load_options(cfg, argc, argv, "tmx-server", read))
    return cfg.cli_helptext_printed ? EXIT_SUCCESS : EXIT_FAILURE;
  if (!opts.timezone.empty()) {
    // The process's local zone is the server's zone: set it before any
    // thread reads the time.
    setenv("TZ", opts.timezone.c_str(), 1);
  }
  tzset();
  store::options store_opts;
  store_opts.path = opts.storage_path;
  store_opts.sync = opts.storage_sync;
  std::shared_ptr<store> db = store::open(store_opts, error);
  if (!db) {
    std::cerr << "tmx-server: cannot open the store: " << error << '\n';
    return EXIT_FAILURE;
  }

  bool tls = enable_tls_if_configured(cfg);
  caf::actor_system sys{cfg};
  std::atomic<bool> root_down{false};
  auto supervisor = sys.spawn(root, std::move(db), opts.node);
  supervisor->attach_functor([&root_down] { root_down = true; });
  server_handles handles;
  bool ready = false;
  caf::scoped_actor self{sys};
  self->request(supervisor, request_timeout, get_atom::value)
    .receive(
      [&](task_manager_actor& manager, store_reader_actor& db,
          gatekeeper_actor& gate, event_hub_actor& hub,
          webhook_keeper_actor& hooks, schedule_keeper_actor& schedules) {
        handles = {std::move(manager), std::move(db),    std::move(gate),
                   std::move(hub),     std::move(hooks), std::move(schedules)};
        ready = true;
      },
      [&](caf::error& err) {
        std::cerr << "tmx-server: start-up failed: " << sys.render(err) << '\n';
      });
  if (!ready)
    return EXIT_FAILURE;

  if (opts.cluster_port != 0) {
    auto addr = opts.cluster_address.c_str();
    auto port = tls ? caf::openssl::publish(handles.gate, opts.cluster_port,
                                            addr, true)
                    : sys.middleman().publish(handles.gate, opts.cluster_port,
                                              addr, true);
    if (port) {
      spdlog::info("cluster port {}:{} open for tmx-agent ({}){}",
                   opts.cluster_address, *port, tls ? "TLS" : "plain TCP",
                   opts.node.cluster_secret.empty() ? " (no secret set!)" : "");
    } else if (opts.cluster_port_given) {
      std::cerr << "tmx-server: cannot open cluster port "
                << opts.cluster_address << ':' << opts.cluster_port << ": "
                << sys.render(port.error()) << '\n';
      shut_down(self, supervisor);
      return EXIT_FAILURE;
    } else {
      // The default port taken (a second server on this machine, a test):
      // the HTTP API still works; agents cannot join this server.
      spdlog::warn("cluster port {}:{} unavailable ({}); no agents can join",
                   opts.cluster_address, opts.cluster_port,
                   sys.render(port.error()));
    }
  }

  http_server http{sys, handles, opts.http};
  try {
    http.start();
  } catch (const std::exception& e) {
    std::cerr << "tmx-server: cannot serve HTTP on " << opts.http.address << ':'
              << opts.http.port << ": " << e.what() << '\n';
    shut_down(self, supervisor);
    return EXIT_FAILURE;
  }
  spdlog::info("tmx-server listening on http://{}:{} (plan {}, data {})",
               opts.http.address, opts.http.port, opts.http.license.plan,
               opts.storage_path);

  wait_for_stop(signals, root_down);
  // Writes under way finish; new requests meanwhile hear 50301.
  http.drain(std::chrono::seconds(5));
  http.stop();
  bool clean = !root_down && shut_down(self, supervisor);
  return clean ? EXIT_SUCCESS : EXIT_FAILURE;
}

// tmx-server: the coordinator. Reads its options, opens the store, starts
// the actors and the HTTP API, and shuts all of it down in order on SIGINT
// or SIGTERM.
#include "actors/root.hpp"
#include "actors/timeouts.hpp"
#include "http/server.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>

namespace {

using namespace tmx;

struct server_config : caf::actor_system_config {
  server_config() {
    add_message_types<caf::id_block::tmx>();
    opt_group{custom_options_, "http"}
      .add<std::string>("address", "bind address (default 127.0.0.1)")
      .add<int64_t>("port", "HTTP port (default 50809)")
      .add<int64_t>("threads", "HTTP I/O threads (default 2)");
    opt_group{custom_options_, "storage"}
      .add<std::string>("path", "data directory (default ./data)")
      .add<bool>("sync", "fsync every write (default false)");
    opt_group{custom_options_, "license"}
      .add<std::string>("plan", "Starter, Pro, Team or Business (default Pro)")
      .add<int64_t>("device-limit", "devices running at once, 0 = no cap");
    opt_group{custom_options_, "tmx"}
      .add<std::string>("timezone", "time zone of HH:MM start times, a TZ "
                                    "value such as \"Europe/Berlin\" "
                                    "(default: the system's)");
    opt_group{custom_options_, "retry"}
      .add<int64_t>("max-auto", "automatic retries of a failed run, 0 = off")
      .add<caf::timespan>("delay-min", "shortest delay before one (5s)")
      .add<caf::timespan>("delay-max", "longest delay before one (60s)");
    opt_group{custom_options_, "runner"}
      .add<double>("timeout-scale", "multiplies every script timeout (1)");
    opt_group{custom_options_, "sim"}
      .add<int64_t>("devices", "simulated devices (default 8, 0 = none)")
      .add<caf::timespan>("task-duration", "simulated run time (default 2s)")
      .add<double>("failure-rate", "share of simulated runs that fail, 0-1");
  }
};

/// Reads the options and checks each one's type and range; a key given with
/// a wrong value stops the server with a message naming it.
class option_reader {
public:
  explicit option_reader(const caf::settings& content) : content_(content) {
  }

  const std::string& error() const {
    return error_;
  }

  void text(const char* key, std::string& out) {
    if (auto v = find(key)) {
      if (auto s = caf::get_if<std::string>(v))
        out = *s;
      else
        fail(key, "must be a string");
    }
  }

  void integer(const char* key, int64_t lo, int64_t hi, int64_t& out) {
    if (auto v = find(key)) {
      auto i = caf::get_if<int64_t>(v);
      if (!i || *i < lo || *i > hi)
        fail(key, "must be an integer " + std::to_string(lo) + "-"
                    + std::to_string(hi));
      else
        out = *i;
    }
  }

  void flag(const char* key, bool& out) {
    if (auto v = find(key)) {
      if (auto b = caf::get_if<bool>(v))
        out = *b;
      else
        fail(key, "must be true or false");
    }
  }

  void number(const char* key, double lo, double hi, double& out) {
    if (auto v = find(key)) {
      std::optional<double> d;
      if (auto x = caf::get_if<double>(v))
        d = *x;
      else if (auto i = caf::get_if<int64_t>(v))
        d = static_cast<double>(*i);
      if (!d || !(*d >= lo && *d <= hi))
        fail(key, "must be a number " + trimmed(lo) + "-" + trimmed(hi));
      else
        out = *d;
    }
  }

  void duration(const char* key, caf::timespan& out) {
    if (auto v = find(key)) {
      auto t = caf::get_if<caf::timespan>(v);
      if (!t || t->count() < 0)
        fail(key, "must be a duration such as 300ms, 2s or 60s");
      else
        out = *t;
    }
  }

  void millis_of(const char* key, tmx::millis& out) {
    auto span = std::chrono::milliseconds(out);
    caf::timespan t = span;
    duration(key, t);
    out = std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
  }

  void fail(const std::string& message) {
    if (error_.empty())
      error_ = message;
  }

private:
  static std::string trimmed(double x) {
    auto s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.')
      s.pop_back();
    return s;
  }

  const caf::config_value* find(const char* key) {
    return caf::get_if(&content_, key);
  }

  void fail(const char* key, const std::string& rule) {
    if (error_.empty())
      error_ = std::string("option ") + key + " " + rule;
  }

  const caf::settings& content_;
  std::string error_;
};

struct server_options {
  http_options http;
  std::string storage_path = "./data";
  bool storage_sync = false;
  std::string timezone; // "" = the system's
  node_options node;
};

/// A zone name of the system's database, or a POSIX TZ rule (which has an
/// offset, hence a digit). glibc falls back to UTC on anything else without
/// a word, which would shift every HH:MM start time.
bool known_zone(const std::string& tz) {
  if (tz.find("..") != std::string::npos)
    return false;
  if (tz.find_first_of("0123456789") != std::string::npos)
    return true;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec);
}

bool read_options(const caf::settings& content, server_options& out,
                  std::string& error) {
  option_reader r(content);
  int64_t port = out.http.port;
  int64_t threads = static_cast<int64_t>(out.http.threads);
  auto& sim = out.node.sim;
  auto& retry = out.node.retry;
  int64_t devices = sim.devices;
  int64_t max_auto = retry.max_auto;
  r.text("http.address", out.http.address);
  r.integer("http.port", 1, 65535, port);
  r.integer("http.threads", 1, 64, threads);
  r.text("storage.path", out.storage_path);
  r.flag("storage.sync", out.storage_sync);
  r.text("license.plan", out.http.license.plan);
  r.integer("license.device-limit", 0, 1000000, out.http.license.device_limit);
  r.text("tmx.timezone", out.timezone);
  r.integer("retry.max-auto", 0, 1000, max_auto);
  r.millis_of("retry.delay-min", retry.delay_min);
  r.millis_of("retry.delay-max", retry.delay_max);
  if (retry.delay_min > retry.delay_max)
    r.fail("option retry.delay-min must not exceed retry.delay-max");
  r.number("runner.timeout-scale", 0.0001, 1000, out.node.timeout_scale);
  r.integer("sim.devices", 0, 9999, devices);
  r.duration("sim.task-duration", sim.task_duration);
  r.number("sim.failure-rate", 0, 1, sim.failure_rate);
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
  sim.devices = static_cast<int>(devices);
  retry.max_auto = static_cast<uint32_t>(max_auto);
  out.node.device_limit = static_cast<size_t>(out.http.license.device_limit);
  return error.empty();
}

/// Stops the components in order (the store last); false if they did not
/// confirm it.
bool shut_down(caf::scoped_actor& self, const caf::actor& supervisor) {
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
  // Signals are taken by sigwait below, never by a handler mid-write.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "tmx-server: " << cfg.render(err) << '\n';
    return EXIT_FAILURE;
  }
  if (cfg.cli_helptext_printed)
    return EXIT_SUCCESS;
  server_options opts;
  std::string error;
  // CAF drops a wrongly typed key of the config file without a word; the
  // file is read once more as it is written so that such a key stops us.
  bool file_given = false;
  for (int i = 1; i < argc; ++i)
    file_given |= std::string_view(argv[i]).rfind("--config-file=", 0) == 0;
  if (auto raw = caf::actor_system_config::parse_config_file(
        cfg.config_file_path.c_str())) {
    server_options from_file;
    if (!read_options(*raw, from_file, error)) {
      std::cerr << "tmx-server: " << cfg.config_file_path << ": " << error
                << '\n';
      return EXIT_FAILURE;
    }
  } else if (file_given) {
    std::cerr << "tmx-server: cannot read " << cfg.config_file_path << ": "
              << cfg.render(raw.error()) << '\n';
    return EXIT_FAILURE;
  }
  if (!read_options(cfg.content, opts, error)) {
    std::cerr << "tmx-server: " << error << '\n';
    return EXIT_FAILURE;
  }
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

  caf::actor_system sys{cfg};
  std::atomic<bool> root_down{false};
  auto supervisor = sys.spawn(root, std::move(db), opts.node);
  supervisor->attach_functor([&root_down] { root_down = true; });
  server_handles handles;
  bool ready = false;
  caf::scoped_actor self{sys};
  self->request(supervisor, request_timeout, get_atom::value)
    .receive(
      [&](task_manager_actor& manager, store_actor& db) {
        handles = {std::move(manager), std::move(db)};
        ready = true;
      },
      [&](caf::error& err) {
        std::cerr << "tmx-server: start-up failed: " << sys.render(err)
                  << '\n';
      });
  if (!ready)
    return EXIT_FAILURE;

  http_server http{sys, handles, opts.http};
  try {
    http.start();
  } catch (const std::exception& e) {
    std::cerr << "tmx-server: cannot serve HTTP on " << opts.http.address
              << ':' << opts.http.port << ": " << e.what() << '\n';
    shut_down(self, supervisor);
    return EXIT_FAILURE;
  }
  spdlog::info("tmx-server listening on http://{}:{} (plan {}, data {})",
               opts.http.address, opts.http.port, opts.http.license.plan,
               opts.storage_path);

  // Wait for a signal, or for the supervisor to give up.
  timespec poll{0, 200 * 1000 * 1000};
  while (!root_down) {
    int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("signal {}: shutting down", sig);
      break;
    }
  }
  http.stop();
  bool clean = !root_down && shut_down(self, supervisor);
  return clean ? EXIT_SUCCESS : EXIT_FAILURE;
}

#include "tools/options.hpp"

#include <caf/config_value.hpp>
#include <caf/openssl/manager.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

namespace tmx {

bool known_zone(const std::string& tz) {
  if (tz.find("..") != std::string::npos)
    return false;
  if (tz.find_first_of("0123456789") != std::string::npos)
    return true;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec);
}

namespace {

bool is_secret(const std::string& key) {
  return key == "http.token" || key == "cluster.secret"
         || key == "openssl.passphrase";
}

/// CAF's --dump-config, with the secrets masked.
void dump(const caf::settings& xs, const std::string& prefix,
          const std::string& indent) {
  for (const auto& [name, value] : xs) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    if (auto group = caf::get_if<caf::settings>(&value)) {
      std::cout << indent << name << " {\n";
      dump(*group, key, indent + "  ");
      std::cout << indent << "}\n";
    } else {
      std::cout << indent << name << " = "
                << (is_secret(key) ? "\"(hidden)\"" : caf::to_string(value))
                << '\n';
    }
  }
}

/// CAF names a rejected argument in its message, value included, and the
/// value may be a secret (a misspelled --cluster.secret=...): everything
/// after `--key=` up to the end of the quoted argument is hidden.
std::string without_values(std::string message,
                           const std::vector<std::string>& args) {
  for (auto& arg : args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      continue;
    auto key = arg.substr(0, eq + 1);
    const std::string hidden = "(value hidden)";
    for (auto at = message.find(key); at != std::string::npos;
         at = message.find(key, at + key.size() + hidden.size())) {
      auto from = at + key.size();
      auto to = from;
      while (to < message.size() && message[to] != '"')
        to += message[to] == '\\' ? 2 : 1;
      message.replace(from, std::min(to, message.size()) - from, hidden);
    }
  }
  return message;
}

} // namespace

bool load_options(
  caf::actor_system_config& cfg, int argc, char** argv, const char* program,
  const std::function<bool(const caf::settings&, std::string&)>& read) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  // CAF's own --dump-config would print the secrets: answered here.
  auto dump_flag = std::find_if(args.begin(), args.end(), [](auto& a) {
    return a == "--dump-config" || a == "--dump-config=true";
  });
  bool dump_config = dump_flag != args.end();
  if (dump_config)
    args.erase(dump_flag);
  if (auto err = cfg.parse(args)) {
    std::cerr << program << ": " << without_values(cfg.render(err), args)
              << '\n';
    return false;
  }
  if (cfg.cli_helptext_printed)
    return false;
  if (dump_config) {
    dump(cfg.dump_content(), "", "");
    std::cout << std::flush;
    cfg.cli_helptext_printed = true;
    return false;
  }
  std::string error;
  bool file_given = false;
  for (auto& arg : args)
    file_given |= std::string_view(arg).rfind("--config-file=", 0) == 0;
  if (auto raw = caf::actor_system_config::parse_config_file(
        cfg.config_file_path.c_str())) {
    if (!read(*raw, error)) {
      std::cerr << program << ": " << cfg.config_file_path << ": " << error
                << '\n';
      return false;
    }
  } else if (file_given) {
    std::cerr << program << ": cannot read " << cfg.config_file_path << ": "
              << cfg.render(raw.error()) << '\n';
    return false;
  }
  if (!read(cfg.content, error)) {
    std::cerr << program << ": " << error << '\n';
    return false;
  }
  return true;
}

bool enable_tls_if_configured(caf::actor_system_config& cfg) {
  if (cfg.openssl_certificate.empty())
    return false;
  cfg.load<caf::openssl::manager>();
  // CAF 0.17.6 drops an OpenSSL connection at every heartbeat (seen here:
  // a lost node each interval), even one an old config file still asks
  // for. tmx's own pings notice a frozen peer instead, TLS or not; see
  // docs/decisions/0013-cluster-tls.md.
  cfg.set("middleman.heartbeat-interval", caf::timespan{0});
  cfg.set("middleman.connection-timeout", caf::timespan{0});
  return true;
}

void set_heartbeat_defaults(caf::actor_system_config& cfg) {
  // CAF's default too; said here so that no node depends on it.
  cfg.set("middleman.heartbeat-interval", caf::timespan{0});
  cfg.set("middleman.connection-timeout", caf::timespan{0});
}

void set_scheduler_defaults(caf::actor_system_config& cfg) {
  // CAF starts max(cores, 4) workers. On two cores, beside the store's and
  // the HTTP server's own threads, one worker switches threads far less:
  // +30 % tasks/s end to end (decision 0032). Above two cores, unmeasured:
  // CAF's default. scheduler.max-threads (command line or file) overrides.
  if (auto cores = std::thread::hardware_concurrency(); cores > 0 && cores <= 2)
    cfg.set("scheduler.max-threads", size_t{1});
}

void read_ping_timeout(option_reader& r, caf::timespan& out) {
  using namespace std::chrono_literals;
  r.duration("cluster.ping-timeout", out);
  // Pings go every second: below 2 s one late ping would count as a loss.
  if (out < 2s || out > 600s)
    r.fail("option cluster.ping-timeout must be between 2s and 600s");
}

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void wait_for_stop(const sigset_t& signals, const std::atomic<bool>& done) {
  timespec poll{0, 200 * 1000 * 1000};
  while (!done) {
    int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("signal {}: shutting down", sig);
      return;
    }
  }
}

} // namespace tmx

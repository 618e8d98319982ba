#include "tools/options.hpp"

#include <caf/config_value.hpp>
#include <caf/openssl/manager.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <string_view>

namespace tmx {

bool known_zone(const std::string& tz) {
  if (tz.find("..") != std::string::npos)
    return false;
  if (tz.find_first_of("0123456789") != std::string::npos)
    return true;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec);
}

bool load_options(
  caf::actor_system_config& cfg, int argc, char** argv, const char* program,
  const std::function<bool(const caf::settings&, std::string&)>& read) {
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << program << ": " << cfg.render(err) << '\n';
    return false;
  }
  if (cfg.cli_helptext_printed)
    return false;
  std::string error;
  bool file_given = false;
  for (int i = 1; i < argc; ++i)
    file_given |= std::string_view(argv[i]).rfind("--config-file=", 0) == 0;
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
  // a lost node each interval). TLS nodes therefore run without them; see
  // docs/decisions/0013-cluster-tls.md.
  cfg.set("middleman.heartbeat-interval", caf::timespan{0});
  cfg.set("middleman.connection-timeout", caf::timespan{0});
  return true;
}

void set_heartbeat_defaults(caf::actor_system_config& cfg) {
  using namespace std::chrono_literals;
  cfg.set("middleman.heartbeat-interval", caf::timespan{1s});
  cfg.set("middleman.connection-timeout", caf::timespan{3s});
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

// The device host options both programs take (host.*, adb.*, scripts.*,
// runner.stop-grace): declared and read in one place.
#pragma once

#include "actors/local_host.hpp"
#include "tools/options.hpp"

#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>

namespace tmx {

inline void declare_host_options(caf::config_option_set& set) {
  caf::config_option_adder{set, "host"}.add<std::string>(
    "driver", "\"sim\" (simulated phones, default) or "
              "\"adb\" (the phones of the adb server)");
  caf::config_option_adder{set, "adb"}
    .add<std::string>("address", "adb server address (127.0.0.1)")
    .add<int64_t>("port", "adb server port (5037)");
  caf::config_option_adder{set, "scripts"}.add<std::string>(
    "dir", "where the adb driver finds scripts "
           "(./scripts)");
  caf::config_option_adder{set, "runner"}.add<caf::timespan>(
    "stop-grace", "SIGTERM to SIGKILL of a stopped "
                  "script (5s)");
}

/// Reads the host options into `out`; errors go to `r`.
inline void read_host_options(option_reader& r, host_options& out) {
  r.text("host.driver", out.driver);
  if (out.driver != "sim" && out.driver != "adb")
    r.fail("option host.driver must be \"sim\" or \"adb\"");
  auto& run = out.adb.run;
  int64_t port = run.adb_port;
  r.text("adb.address", run.adb_address);
  r.integer("adb.port", 1, 65535, port);
  run.adb_port = static_cast<uint16_t>(port);
  r.text("scripts.dir", run.scripts_dir);
  if (run.scripts_dir.empty())
    r.fail("option scripts.dir must not be empty");
  r.duration("runner.stop-grace", run.stop_grace);
}

} // namespace tmx

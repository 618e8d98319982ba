// Fuzz target: a config file as tmx-server and tmx-agent read theirs, by
// load_options (tools/options.cpp): CAF 0.17's INI parser typed against the
// declared options, then the file as written and the merged content read
// with option_reader (tools/options.hpp): the host options
// (tools/host_options.hpp), the ping timeout, and every key the file holds
// as each kind of option. The input is the file; each run gets a fresh
// config (nothing carries over) and no actor system. Bad input must give an
// error, never a crash.
#include "tests/fuzz/check.hpp"
#include "tools/host_options.hpp"
#include "tools/options.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>
#include <caf/timespan.hpp>

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace {

using namespace tmx;
using tmx::fuzz::check;

// The options every program declares: the host options, and the
// middleman's heartbeats that each sets unless its config does.
struct fuzz_config : caf::actor_system_config {
  fuzz_config() {
    set_heartbeat_defaults(*this);
    declare_host_options(custom_options_);
  }
};

// Where each input is written: load_options reads a file by its name.
class scratch_file {
public:
  scratch_file()
    : path_(std::filesystem::temp_directory_path()
            / ("tmx-fuzz-config-" + std::to_string(getpid()) + ".ini")) {}
  ~scratch_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  const std::string& write(const uint8_t* data, size_t size) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data),
              static_cast<std::streamsize>(size));
    check(out.good(), "the scratch config file can be written");
    return path_.native();
  }

private:
  std::filesystem::path path_;
};

// Every leaf of `content` as each kind of option, so that each reader of
// option_reader meets every type of value CAF can produce.
void read_every_key(option_reader& r, const caf::settings& content,
                    const std::string& prefix = "") {
  for (const auto& [name, value] : content) {
    std::string key = prefix + name;
    if (auto nested = caf::get_if<caf::settings>(&value)) {
      read_every_key(r, *nested, key + ".");
      continue;
    }
    std::string text;
    int64_t integer = 0;
    bool flag = false;
    double number = 0.5;
    caf::timespan span{};
    tmx::millis ms = 5000;
    r.text(key.c_str(), text);
    if (!text.empty())
      known_zone(text);
    r.integer(key.c_str(), 0, 65535, integer);
    r.flag(key.c_str(), flag);
    r.number(key.c_str(), 0.0001, 1000, number);
    r.duration(key.c_str(), span);
    r.millis_of(key.c_str(), ms);
    check(integer >= 0 && integer <= 65535, "an integer stays in range");
    check(number >= 0.0001 && number <= 1000, "a number stays in range");
    check(span.count() >= 0 && ms >= 0, "a duration is not negative");
  }
}

bool read_config(const caf::settings& content, std::string& error) {
  option_reader r(content);
  host_options host;
  read_host_options(r, host);
  caf::timespan ping = std::chrono::seconds(3);
  read_ping_timeout(r, ping);
  read_every_key(r, content);
  error = r.error();
  if (!error.empty())
    return false;
  check(host.driver == "sim" || host.driver == "adb", "driver sim or adb");
  check(host.adb.run.adb_port >= 1, "adb.port 1-65535");
  check(!host.adb.run.scripts_dir.empty(), "scripts.dir not empty");
  check(ping >= std::chrono::seconds(2) && ping <= std::chrono::seconds(600),
        "cluster.ping-timeout 2s-600s");
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static scratch_file file;
  // load_options reports each problem on std::cerr: noise, run after run.
  static const bool silenced = [] {
    std::cerr.rdbuf(nullptr);
    return true;
  }();
  (void)silenced;
  std::string arg = "--config-file=" + file.write(data, size);
  char program[] = "tmx-fuzz";
  char* argv[] = {program, arg.data(), nullptr};
  fuzz_config cfg;
  if (load_options(cfg, 2, argv, "tmx-fuzz", read_config))
    enable_tls_if_configured(cfg); // what both programs do next
  return 0;
}

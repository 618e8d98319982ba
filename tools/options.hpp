// Option handling shared by tmx-server and tmx-agent: typed, range-checked
// reading of CAF config values, and the config-file check CAF omits.
#pragma once

#include "model/task.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>
#include <caf/timespan.hpp>

#include <atomic>
#include <csignal>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

namespace tmx {

/// Reads the options and checks each one's type and range; a key given with
/// a wrong value stops the server with a message naming it.
class option_reader {
public:
  explicit option_reader(const caf::settings& content) : content_(content) {}

  const std::string& error() const { return error_; }

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

  // caf::string_view converts from a const char* under gcc only.
  const caf::config_value* find(const char* key) {
    return caf::get_if(&content_, caf::string_view{key, std::strlen(key)});
  }

  void fail(const char* key, const std::string& rule) {
    if (error_.empty())
      error_ = std::string("option ") + key + " " + rule;
  }

  const caf::settings& content_;
  std::string error_;
};

/// A zone name of the system's database, or a POSIX TZ rule (which has an
/// offset, hence a digit). glibc falls back to UTC on anything else without
/// a word, which would shift every HH:MM start time.
bool known_zone(const std::string& tz);

/// Parses the command line and the config file into `cfg`, then calls
/// `read` on the config file as written (CAF drops a wrongly typed key of
/// the file without a word) and on the merged content. Prints the first
/// problem, prefixed with `program`, and returns false on any. Neither that
/// message nor `--dump-config` shows a secret (http.token, cluster.secret,
/// openssl.passphrase) or the value of a command-line argument.
bool load_options(
  caf::actor_system_config& cfg, int argc, char** argv, const char* program,
  const std::function<bool(const caf::settings&, std::string&)>& read);

/// Loads CAF's OpenSSL module when a certificate is configured
/// (`openssl.certificate`, `openssl.key`, `openssl.cafile`, ...): the node
/// then speaks TLS on its cluster connections. Returns whether it did.
bool enable_tls_if_configured(caf::actor_system_config& cfg);

/// One CAF scheduler worker on a machine of at most two cores (CAF's
/// default elsewhere); scheduler.max-threads overrides it.
void set_scheduler_defaults(caf::actor_system_config& cfg);

/// Middleman heartbeats are off on every node unless its config sets them:
/// tmx's own pings notice a frozen peer, TLS or not (docs/decisions/0013).
void set_heartbeat_defaults(caf::actor_system_config& cfg);

/// Reads `cluster.ping-timeout` (both programs): how long a cluster peer
/// may leave the one-second pings unanswered before it counts as lost.
void read_ping_timeout(option_reader& r, caf::timespan& out);

/// Blocks SIGINT and SIGTERM in this thread and every thread started after
/// it: they are taken by wait_for_stop, never by a handler mid-write. Call
/// first thing in main.
sigset_t block_stop_signals();

/// Returns on SIGINT/SIGTERM, or once `done` is set (checked every 200 ms).
void wait_for_stop(const sigset_t& signals, const std::atomic<bool>& done);

} // namespace tmx

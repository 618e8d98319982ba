#include "model/run_policy.hpp"

#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>

namespace tmx {

namespace {

int64_t seconds_field(const rapidjson::Document& cfg, const char* name) {
  if (!cfg.IsObject())
    return 0;
  auto it = cfg.FindMember(name);
  if (it == cfg.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0)
    return 0;
  return it->value.GetInt64();
}

} // namespace

millis base_timeout(std::string_view script, std::string_view config_json) {
  rapidjson::Document cfg;
  cfg.Parse(config_json.data(), config_json.size());
  int64_t seconds = 600;
  if (script == "post")
    seconds = seconds_field(cfg, "upload_wait_time")
              + seconds_field(cfg, "sound_wait_time") + 300;
  else if (script == "account_warmup")
    seconds = seconds_field(cfg, "task_duration") + 120;
  return seconds * 1000;
}

millis run_timeout(std::string_view script, std::string_view config_json,
                   double scale) {
  return static_cast<millis>(
    std::llround(base_timeout(script, config_json) * scale));
}

millis retry_delay(const retry_policy& policy, std::mt19937_64& rng) {
  std::uniform_int_distribution<millis> delay(policy.delay_min,
                                              policy.delay_max);
  return delay(rng);
}

std::string offline_remark(std::string_view reason) {
  // "device host lost" and "adb server unreachable" say it already.
  if (reason.rfind("device ", 0) == 0 || reason.rfind("adb ", 0) == 0)
    return std::string(reason);
  return "device " + std::string(reason);
}

std::string start_line(const task& t) {
  auto line = "started on device " + t.serial;
  if (!t.username.empty())
    line += " as " + t.username;
  if (!t.node.empty())
    line += " (node " + t.node + ")";
  return line;
}

std::string timeout_remark(millis timeout) {
  char buf[64];
  if (timeout % 1000 == 0)
    std::snprintf(buf, sizeof(buf), "timeout after %lld s",
                  static_cast<long long>(timeout / 1000));
  else
    std::snprintf(buf, sizeof(buf), "timeout after %.15g s", timeout / 1000.0);
  return buf;
}

} // namespace tmx

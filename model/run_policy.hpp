// How long a run may take and how it is retried: the per-script timeouts
// and the auto-retry delay rule, as plain functions.
#pragma once

#include "model/task.hpp"

#include <random>
#include <string>
#include <string_view>

namespace tmx {

/// The timeout of one run of `script` with its stored config (defaults
/// applied), before `runner.timeout-scale`: post = upload_wait_time +
/// sound_wait_time + 300 s; account_warmup = task_duration + 120 s; any
/// other script 600 s. A config that cannot be read counts as empty.
millis base_timeout(std::string_view script, std::string_view config_json);

/// The timeout of one run: base_timeout scaled by `runner.timeout-scale`.
millis run_timeout(std::string_view script, std::string_view config_json,
                   double scale);

/// The remark of a run ended by its timeout, e.g. "timeout after 600 s"
/// ("timeout after 0.25 s" when scaled below a second).
std::string timeout_remark(millis timeout);

/// The remark of a run whose device went offline while it ran, from the
/// device's state_reason: "device disconnected", "device unauthorized", ...
std::string offline_remark(std::string_view reason);

/// The first line of a run's log: where and as whom it started.
std::string start_line(const task& t);

/// Auto-retry policy (`retry.*` options).
struct retry_policy {
  uint32_t max_auto = 0; // 0 = off
  millis delay_min = 5000;
  millis delay_max = 60000;
};

/// A random delay in [delay_min, delay_max] before an automatic retry.
millis retry_delay(const retry_policy& policy, std::mt19937_64& rng);

} // namespace tmx

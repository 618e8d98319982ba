// The process's Prometheus metrics (prometheus-cpp's core registry): the
// counters and histograms that code below the HTTP layer bumps as things
// happen, and the text exposition of GET /metrics with the gauges read at
// scrape time. Thread-safe; nothing here blocks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tmx::metrics {

/// Tasks created (after they are written), by source ("api", "ui", ...).
void count_created(std::string_view source, uint64_t n);

/// A run ended: result "completed" or "failed", and how long it ran.
void observe_run(std::string_view script, std::string_view result,
                 double seconds);

/// One write of the store (RocksDB Write), however it ended.
void observe_store_write(double seconds);

/// One webhook POST: result "delivered", "failed" (will be retried) or
/// "given_up" (24 h passed).
void count_delivery(std::string_view result);

/// One HTTP request answered: `route` is the route pattern
/// ("/api/v1/task/{task_id}"), never a raw path.
void observe_http(std::string_view route, int code, double seconds);

/// What only a scrape reads: exact values asked of the actors.
struct gauges {
  uint64_t pending = 0, running = 0, completed = 0, failed = 0;
  std::vector<std::pair<std::string, uint64_t>> devices; // state → count
  uint64_t nodes_online = 0, nodes_offline = 0;
  uint64_t event_subscribers = 0;
};

/// The Prometheus text format (0.0.4) of every metric, `g` included.
std::string render(const gauges& g);

} // namespace tmx::metrics

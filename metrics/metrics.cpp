// The process's metrics (metrics.hpp) in one prometheus-cpp registry,
// created on first use. Every label value is one of a fixed set, or
// normalised to one, so that no client can grow a family without bound:
// docs/decisions/0022-metrics.md says which and why, and the buckets.
#include "metrics/metrics.hpp"

#include "model/script_config.hpp"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <sstream>

namespace tmx::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds. A run is a phone script: seconds (a follow) to an hour or more
// (account_warmup defaults to 10 minutes).
const Histogram::BucketBoundaries run_buckets{1,   5,   15,   30,   60,   120,
                                              300, 600, 1200, 1800, 3600, 7200};
// An HTTP request: well under a millisecond (a refusal) to the 10 s an
// endpoint waits for an actor.
const Histogram::BucketBoundaries http_buckets{0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025, 0.05,   0.1,
                                               0.25,   0.5,   1,      2.5,
                                               5,      10};
// A RocksDB write: tens of microseconds without fsync, milliseconds with
// storage.sync or a busy disk; a write stall lasts up to seconds.
const Histogram::BucketBoundaries store_buckets{
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
  0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5};

/// Distinct routes a family holds at most: the route table has about 30,
/// so only a caller that passes raw paths (a bug) reaches it.
constexpr size_t max_routes = 64;

constexpr const char* other = "other";

/// `value` when it is one of `known`, else "other".
template <size_t N>
std::string one_of(std::string_view value,
                   const std::array<const char*, N>& known) {
  for (auto k : known)
    if (value == k)
      return std::string(value);
  return other;
}

const std::array<const char*, 3> sources{"api", "ui", "schedule"};
const std::array<const char*, 2> run_results{"completed", "failed"};
const std::array<const char*, 3> delivery_results{"delivered", "failed",
                                                  "given_up"};

/// A script the API runs keeps its name; anything else is "other".
std::string script_label(std::string_view script) {
  return check_script(script) ? other : std::string(script);
}

std::string code_label(int code) {
  return code >= 100 && code <= 599 ? std::to_string(code) : other;
}

/// A family of the registry: its name, HELP text and type.
struct family_text {
  const char* name;
  const char* help;
  MetricType type;
};

const family_text created_text{"tmx_tasks_created_total",
                               "Tasks created (counted once stored), by source",
                               MetricType::Counter};
const family_text runs_text{
  "tmx_task_runs_total",
  "Runs that ended on their device (not stopped by a user), by script and "
  "result",
  MetricType::Counter};
const family_text run_seconds_text{
  "tmx_task_run_seconds",
  "How long a run took, from started_at to finished_at, by script",
  MetricType::Histogram};
const family_text http_text{
  "tmx_http_requests_total",
  "HTTP requests answered, by route pattern and status code",
  MetricType::Counter};
const family_text http_seconds_text{
  "tmx_http_request_seconds",
  "How long the server took to answer a request, by route pattern",
  MetricType::Histogram};
const family_text store_write_text{
  "tmx_store_write_seconds", "How long one write of the store (RocksDB) took",
  MetricType::Histogram};
const family_text deliveries_text{
  "tmx_webhook_deliveries_total",
  "Webhook POSTs by result: delivered, failed (retried later), given_up",
  MetricType::Counter};

const family_text* const registered[] = {&created_text,      &runs_text,
                                         &run_seconds_text,  &http_text,
                                         &http_seconds_text, &store_write_text,
                                         &deliveries_text};

template <class Builder>
auto& add(prometheus::Registry& reg, Builder b, const family_text& f) {
  return b.Name(f.name).Help(f.help).Register(reg);
}

struct registry {
  prometheus::Registry reg;
  Family<Counter>& created = add(reg, prometheus::BuildCounter(), created_text);
  Family<Counter>& runs = add(reg, prometheus::BuildCounter(), runs_text);
  Family<Histogram>& run_seconds = add(reg, prometheus::BuildHistogram(),
                                       run_seconds_text);
  Family<Counter>& http = add(reg, prometheus::BuildCounter(), http_text);
  Family<Histogram>& http_seconds = add(reg, prometheus::BuildHistogram(),
                                        http_seconds_text);
  Histogram& store_write = add(reg, prometheus::BuildHistogram(),
                               store_write_text)
                             .Add({}, store_buckets);
  Family<Counter>& deliveries = add(reg, prometheus::BuildCounter(),
                                    deliveries_text);

  std::mutex routes_mutex;
  std::set<std::string, std::less<>> routes;

  registry() {
    // Every series of a fixed label set exists from the start at 0, so
    // that rate() and increase() see its first increment.
    for (auto s : sources)
      created.Add({{"source", s}});
    for (auto r : delivery_results)
      deliveries.Add({{"result", r}});
  }

  /// `route`, or "other" once the families hold max_routes routes.
  std::string route_label(std::string_view route) {
    std::lock_guard<std::mutex> guard(routes_mutex);
    if (routes.find(route) != routes.end())
      return std::string(route);
    if (routes.size() >= max_routes)
      return other;
    return *routes.emplace(route).first;
  }
};

registry& the() {
  static registry r; // created once, thread-safe (C++11 statics)
  return r;
}

ClientMetric sample(double value, const char* label = nullptr,
                    std::string label_value = {}) {
  ClientMetric m;
  if (label)
    m.label.push_back({label, std::move(label_value)});
  m.gauge.value = value;
  return m;
}

MetricFamily gauge(std::string name, std::string help,
                   std::vector<ClientMetric> samples) {
  return {std::move(name), std::move(help), MetricType::Gauge,
          std::move(samples)};
}

/// The gauges of a scrape, built for this scrape only: two concurrent
/// scrapes never see each other's values.
std::vector<MetricFamily> scrape_families(const gauges& g) {
  std::vector<MetricFamily> out;
  out.push_back(gauge("tmx_tasks", "Tasks by status (exact, from the store)",
                      {sample(g.pending, "status", "pending"),
                       sample(g.running, "status", "running"),
                       sample(g.completed, "status", "completed"),
                       sample(g.failed, "status", "failed")}));
  // The states a device has are always there, 0 when no device has one.
  std::vector<std::pair<std::string, uint64_t>> devices{{"online", 0},
                                                        {"busy", 0},
                                                        {"offline", 0}};
  for (auto& [state, n] : g.devices) {
    auto i = std::find_if(devices.begin(), devices.end(),
                          [&](auto& d) { return d.first == state; });
    if (i != devices.end())
      i->second += n;
    else
      devices.emplace_back(state, n);
  }
  std::vector<ClientMetric> device_samples;
  for (auto& [state, n] : devices)
    device_samples.push_back(sample(n, "state", state));
  out.push_back(
    gauge("tmx_devices", "Known devices by state", std::move(device_samples)));
  out.push_back(gauge("tmx_nodes", "Device hosts (nodes) known since start-up",
                      {sample(g.nodes_online, "state", "online"),
                       sample(g.nodes_offline, "state", "offline")}));
  out.push_back(gauge("tmx_events_subscribers",
                      "Event streams and webhook senders attached to the "
                      "event hub",
                      {sample(g.event_subscribers)}));
  return out;
}

/// The registry's families (one without a sample yet still shows its HELP
/// and TYPE lines) and the gauges, ordered by name.
std::vector<MetricFamily> all_families(registry& r, const gauges& g) {
  auto out = r.reg.Collect();
  for (auto* f : registered) {
    auto seen = std::any_of(out.begin(), out.end(),
                            [&](auto& x) { return x.name == f->name; });
    if (!seen)
      out.push_back({f->name, f->help, f->type, {}});
  }
  for (auto& f : scrape_families(g))
    out.push_back(std::move(f));
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

} // namespace

void count_created(std::string_view source, uint64_t n) {
  the()
    .created.Add({{"source", one_of(source, sources)}})
    .Increment(static_cast<double>(n));
}

void observe_run(std::string_view script, std::string_view result,
                 double seconds) {
  auto& r = the();
  auto name = script_label(script);
  auto res = one_of(result, run_results);
  // Both results of a script exist once it ran: a first failure counts.
  for (auto known : run_results)
    r.runs.Add({{"script", name}, {"result", known}});
  r.runs.Add({{"script", name}, {"result", res}}).Increment();
  r.run_seconds.Add({{"script", name}}, run_buckets)
    .Observe(std::max(seconds, 0.0));
}

void observe_store_write(double seconds) {
  the().store_write.Observe(std::max(seconds, 0.0));
}

void count_delivery(std::string_view result) {
  the()
    .deliveries.Add({{"result", one_of(result, delivery_results)}})
    .Increment();
}

void observe_http(std::string_view route, int code, double seconds) {
  auto& r = the();
  auto label = r.route_label(route);
  r.http.Add({{"route", label}, {"code", code_label(code)}}).Increment();
  r.http_seconds.Add({{"route", label}}, http_buckets)
    .Observe(std::max(seconds, 0.0));
}

std::string render(const gauges& g) {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, all_families(the(), g));
  return out.str();
}

} // namespace tmx::metrics

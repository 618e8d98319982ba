// GET /metrics: the gauges asked of the actors that own them, at the same
// time, then every metric in the Prometheus text format (metrics/).
#include "http/endpoints.hpp"

#include "actors/timeouts.hpp"
#include "metrics/metrics.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <map>
#include <memory>

namespace tmx {

namespace {

/// One scrape: the gauges so far, and how many answers are still due.
struct scrape {
  metrics::gauges values;
  int awaited = 4;
  std::string failed; // which owners did not answer, for the reply
};

} // namespace

void endpoints::metrics(const exchange_ptr& ex) {
  auto h = handles_;
  // One actor asks all four: their answers arrive one at a time in it, and
  // no I/O thread waits.
  sys_.spawn([ex, h](caf::event_based_actor* self) {
    auto s = std::make_shared<scrape>();
    auto answered = [ex, s] {
      if (--s->awaited > 0)
        return;
      // Each gauge is exact or absent: a scrape that misses one fails,
      // rather than shows a 0 that is not so.
      if (!s->failed.empty())
        return ex->reply_text(503, "metrics unavailable: no answer from"
                                     + s->failed);
      ex->reply_metrics(metrics::render(s->values));
    };
    auto failed = [s, answered](const char* who) {
      return [s, answered, who](caf::error&) {
        s->failed += std::string(" ") + who;
        answered();
      };
    };
    self->request(h.db, request_timeout, stats_atom::value)
      .then(
        [s, answered](const task_counts& c) {
          auto of = [&](task_status st) {
            return c.by_status[static_cast<size_t>(st)];
          };
          s->values.pending = of(task_status::pending);
          s->values.running = of(task_status::running);
          s->values.completed = of(task_status::completed);
          s->values.failed = of(task_status::failed);
          answered();
        },
        failed("store"));
    self->request(h.manager, request_timeout, device_atom::value)
      .then(
        [s, answered](const std::vector<device_info>& devices) {
          std::map<std::string, uint64_t> by_state;
          for (auto& d : devices)
            ++by_state[d.state];
          s->values.devices.assign(by_state.begin(), by_state.end());
          answered();
        },
        failed("task-manager"));
    self->request(h.gate, request_timeout, node_atom::value)
      .then(
        [s, answered](const std::vector<node_info>& nodes) {
          for (auto& n : nodes)
            ++(n.online ? s->values.nodes_online : s->values.nodes_offline);
          answered();
        },
        failed("gatekeeper"));
    if (!h.hub) {
      answered(); // no event hub: nothing is subscribed
      return;
    }
    self->request(h.hub, request_timeout, get_atom::value)
      .then(
        [s, answered](uint64_t subscribers) {
          s->values.event_subscribers = subscribers;
          answered();
        },
        failed("event-hub"));
  });
}

} // namespace tmx

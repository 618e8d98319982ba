#include "actors/event_hub.hpp"

#include "storage/codec.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

event_batch_ptr make_batch(std::vector<event> events) {
  auto b = std::make_shared<event_batch>();
  size_t bytes = 0;
  for (auto& e : events) {
    if (!codec::render(e))
      spdlog::error("events: event {} cannot be decoded", e.id);
    bytes += e.data.size() + 48;
  }
  b->sse.reserve(bytes);
  for (auto& e : events)
    append_sse(b->sse, e);
  b->events = std::move(events);
  return b;
}

namespace {

using hub_ptr = event_hub_actor::stateful_pointer<event_hub_state>;

/// Calls `f` for every sink and forgets those that answer false.
template <class F>
void each_sink(hub_ptr self, F f) {
  auto& sinks = self->state.sinks;
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                             [&](const event_sink_ptr& s) { return !f(*s); }),
              sinks.end());
}

/// Keeps `batch` in the ring, and at least opts.ring events: the oldest
/// batch goes once the others hold enough.
void hold(event_hub_state& st, event_batch_ptr batch) {
  st.held += batch->events.size();
  st.ring.push_back(std::move(batch));
  while (st.held - st.ring.front()->events.size() >= st.opts.ring) {
    st.held -= st.ring.front()->events.size();
    st.ring.pop_front();
  }
}

/// What a sink that resumes after `after` gets first: the held events
/// after it, or a reset when some of them are no longer held (or `after`
/// is beyond the last event: another data directory). False: drop it.
bool catch_up(event_hub_state& st, event_sink& sink, uint64_t after) {
  if (after == st.last_id)
    return true;
  uint64_t first = st.ring.empty() ? st.last_id + 1
                                   : st.ring.front()->events.front().id;
  if (after > st.last_id || after + 1 < first)
    return sink.reset();
  std::vector<event> backlog;
  for (auto& batch : st.ring)
    for (auto& e : batch->events)
      if (e.id > after)
        backlog.push_back(e);
  return sink.offer(make_batch(std::move(backlog)));
}

} // namespace

event_hub_actor::behavior_type
event_hub(event_hub_actor::stateful_pointer<event_hub_state> self,
          std::vector<event> held, uint64_t last_id, event_hub_options opts) {
  auto& st = self->state;
  st.opts = opts;
  st.last_id = last_id;
  if (!held.empty())
    hold(st, make_batch(std::move(held)));
  self->delayed_send(self, opts.keep_alive, tick_atom::value);
  return {
    [=](publish_atom, std::vector<event>& events) {
      auto& st = self->state;
      if (events.empty())
        return;
      // Ids are contiguous: the store writes them so, and sends every
      // batch here in order.
      st.last_id = events.back().id;
      auto batch = make_batch(std::move(events));
      hold(st, batch);
      each_sink(self, [&](event_sink& s) { return s.offer(batch); });
    },
    [=](subscribe_atom, bool resume, uint64_t after, event_sink_ptr& sink) {
      auto& st = self->state;
      if (st.stopped) {
        sink->finish();
        return;
      }
      if (resume && !catch_up(st, *sink, after))
        return;
      st.sinks.push_back(std::move(sink));
    },
    [=](tick_atom) {
      each_sink(self, [](event_sink& s) { return s.keep_alive(); });
      self->delayed_send(self, self->state.opts.keep_alive, tick_atom::value);
    },
    [=](get_atom) { return static_cast<uint64_t>(self->state.sinks.size()); },
    [=](shutdown_atom) {
      auto& st = self->state;
      st.stopped = true;
      for (auto& s : st.sinks)
        s->finish();
      st.sinks.clear();
      return ok_atom::value;
    },
  };
}

} // namespace tmx

// What the event hub fans out to: an SSE stream (http/event_stream.cpp) or
// a webhook sender. A sink is called on the hub's thread and must never
// block it: it queues or drops, and says when it is done.
#pragma once

#include "model/event.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tmx {

/// Events just written, ascending ids, as the hub hands them on: shared by
/// every sink, with their SSE text rendered once.
struct event_batch {
  std::vector<event> events;
  std::string sse; // append_sse of every event, in order
};

using event_batch_ptr = std::shared_ptr<const event_batch>;

class event_sink {
public:
  virtual ~event_sink() = default;

  /// New events (or, at subscription, the backlog). False: the sink is
  /// gone (its client left, or it fell too far behind and was cut off) and
  /// the hub forgets it.
  virtual bool offer(const event_batch_ptr& batch) = 0;

  /// The events after the id the sink asked for are no longer held: it
  /// gets `event: reset`, then the live events. False as for offer.
  virtual bool reset() = 0;

  /// Nothing happened for a while (every 15 s): an SSE comment keeps the
  /// connection open. False as for offer.
  virtual bool keep_alive() = 0;

  /// The server shuts down: ends the stream cleanly.
  virtual void finish() = 0;
};

using event_sink_ptr = std::shared_ptr<event_sink>;

} // namespace tmx

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tmx::event_sink_ptr)

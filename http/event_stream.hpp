// GET /api/v1/events: a server-sent event stream per client, fed by the
// event hub. Included by http/server.cpp only, which routes to it: with
// server.cpp the only code that includes RESTinio.
#pragma once

#include "actors/actors.hpp"

#include <caf/fwd.hpp>
#include <restinio/request_handler.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace tmx {

/// Answers `req` with an event stream (or 40001 for a bad `types` or
/// Last-Event-ID): the events after Last-Event-ID first, then the live
/// ones. A client with more than `max_unsent` events not yet written to
/// its socket is cut off; it can resume.
void serve_event_stream(const restinio::request_handle_t& req,
                        const event_hub_actor& hub, size_t max_unsent);

/// Ends every stream cleanly (the server shuts down): waits at most
/// `deadline` for the hub to confirm.
void end_event_streams(caf::actor_system& sys, const event_hub_actor& hub,
                       std::chrono::milliseconds deadline);

} // namespace tmx

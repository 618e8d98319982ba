// The webhook keeper: the registrations (stored first, then acted on) and
// one sender per webhook, each on its own thread, so that a dead or slow
// receiver never slows the API or the other receivers.
#pragma once

#include "actors/actors.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <vector>

namespace tmx {

struct webhook_options {
  std::chrono::milliseconds timeout{10000};      // one POST, connect included
  std::chrono::milliseconds first_backoff{1000}; // then doubling
  std::chrono::milliseconds max_backoff{600000}; // 10 min
  std::chrono::milliseconds give_up{86400000};   // 24 h after the event
};

/// Spawns the keeper with the webhooks stored at start-up; it reads events
/// from `db` after each webhook's cursor and hears of new ones from `hub`.
webhook_keeper_actor spawn_webhook_keeper(caf::actor_system& sys,
                                          store_actor db, event_hub_actor hub,
                                          std::vector<webhook> stored,
                                          webhook_options opts);

} // namespace tmx

// How an endpoint asks an actor (endpoints::ask, endpoints::ask_or), for
// every source file that defines endpoints.
#pragma once

#include "actors/timeouts.hpp"
#include "http/endpoints.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace tmx {

template <class Handle, class OnOk, class OnError, class... Ts>
void endpoints::ask_or(const Handle& dest, OnOk on_ok, OnError on_error,
                       Ts... xs) {
  // A short-lived actor per request: the reply may take as long as the
  // request timeout, and no I/O thread waits for it.
  sys_.spawn([=](caf::event_based_actor* self) {
    self->request(dest, request_timeout, xs...).then(on_ok, on_error);
  });
}

template <class Handle, class OnOk, class... Ts>
void endpoints::ask(const exchange_ptr& ex, const Handle& dest, OnOk on_ok,
                    Ts... xs) {
  ask_or(
    dest, on_ok, [=](caf::error& err) { ex->reply_error(to_api_error(err)); },
    xs...);
}

} // namespace tmx

// The webhook keeper (see webhook_keeper.hpp): every change is stored
// before it is acted on; the senders do the sending, each on its thread.
#include "actors/webhook_keeper.hpp"

#include "actors/timeouts.hpp"
#include "actors/webhook_sender.hpp"
#include "model/time.hpp"
#include "model/webhook_request.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

namespace tmx {

struct webhook_keeper_state {
  static inline const char* name = "webhook-keeper";
  caf::actor_system* sys = nullptr;
  store_actor db;
  event_hub_actor hub;
  webhook_options opts;
  std::map<uint64_t, webhook> hooks; // as the API shows them: no secret
  std::map<uint64_t, std::unique_ptr<webhook_sender>> senders;
  std::vector<std::unique_ptr<webhook_sender>> retired; // stopped, not joined

  /// Stops every sender first, then joins them: they end together, so the
  /// keeper's end takes as long as the slowest one's, not their sum.
  void stop_all() {
    for (auto& [id, s] : senders)
      s->stop();
    for (auto& s : retired)
      s->stop();
    senders.clear(); // each destructor joins
    retired.clear();
  }

  /// Joins the stopped senders whose threads have ended.
  void reap() {
    retired.erase(std::remove_if(retired.begin(), retired.end(),
                                 [](const std::unique_ptr<webhook_sender>& s) {
                                   return s->finished();
                                 }),
                  retired.end());
  }

  void start_sender(const webhook& w) {
    auto s = std::make_unique<webhook_sender>(*sys, db, hub, w, opts);
    s->start();
    senders[w.id] = std::move(s);
    auto shown = w;
    shown.secret.clear();
    hooks[w.id] = std::move(shown);
  }

  ~webhook_keeper_state() { stop_all(); }
};

namespace {

using keeper_ptr = webhook_keeper_actor::stateful_pointer<webhook_keeper_state>;

void add(keeper_ptr self, webhook w, caf::typed_response_promise<webhook> rp) {
  auto& st = self->state;
  // The HTTP layer checked all this; the sender relies on it.
  std::string why;
  if (parse_webhook_url(w.url, why)) {
    if (w.events.empty())
      why = "events must name at least one event type";
    else if (w.secret.size() < min_webhook_secret)
      why = "secret is too short";
  }
  if (!why.empty()) {
    rp.deliver(make_error(ec::invalid_params, why));
    return;
  }
  // A new webhook gets the events after the last one written before it:
  // the store sets its cursor as it stores it (id 0), in the order of its
  // writes, so no event after the reply is missed.
  w.id = 0;
  w.created_at = now_millis();
  self->request(st.db, request_timeout, webhook_atom::value, w)
    .then(
      [self, rp](webhook& stored) mutable {
        self->state.start_sender(stored);
        spdlog::info("webhook {} registered: {}", stored.id, stored.url);
        rp.deliver(self->state.hooks[stored.id]);
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
}

} // namespace

webhook_keeper_actor::behavior_type
webhook_keeper(keeper_ptr self, store_actor db, event_hub_actor hub,
               std::vector<webhook> stored, webhook_options opts) {
  auto& st = self->state;
  st.sys = &self->system();
  st.db = std::move(db);
  st.hub = std::move(hub);
  st.opts = opts;
  for (auto& w : stored) {
    st.start_sender(w);
  }
  return {
    [=](webhook_atom, webhook& w) -> caf::result<webhook> {
      self->state.reap();
      auto rp = self->make_response_promise<webhook>();
      add(self, std::move(w), rp);
      return rp;
    },
    [=](webhook_atom) -> caf::result<std::vector<webhook>> {
      std::vector<webhook> out;
      for (auto& [id, w] : self->state.hooks)
        out.push_back(w);
      return out;
    },
    [=](webhook_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      self->state.reap();
      if (self->state.hooks.count(id) == 0)
        return make_error(ec::not_found, "no such webhook");
      auto rp = self->make_response_promise<ok_atom>();
      self
        ->request(self->state.db, request_timeout, webhook_atom::value,
                  erase_atom::value, id)
        .then(
          [=](ok_atom) mutable {
            auto& st = self->state;
            if (auto it = st.senders.find(id); it != st.senders.end()) {
              it->second->stop(); // joined later: the keeper never waits
              st.retired.push_back(std::move(it->second));
              st.senders.erase(it);
            }
            st.hooks.erase(id);
            spdlog::info("webhook {} removed", id);
            rp.deliver(ok_atom::value);
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](webhook_atom,
        uint64_t id) -> caf::result<std::vector<delivery_attempt>> {
      auto& st = self->state;
      auto it = st.senders.find(id);
      if (it == st.senders.end())
        return make_error(ec::not_found, "no such webhook");
      return it->second->attempts();
    },
    [=](shutdown_atom) {
      self->state.stop_all();
      return ok_atom::value;
    },
  };
}

webhook_keeper_actor spawn_webhook_keeper(caf::actor_system& sys,
                                          store_actor db, event_hub_actor hub,
                                          std::vector<webhook> stored,
                                          webhook_options opts) {
  return sys.spawn(webhook_keeper, std::move(db), std::move(hub),
                   std::move(stored), opts);
}

} // namespace tmx

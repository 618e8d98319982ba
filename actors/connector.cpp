#include "actors/connector.hpp"

#include "actors/cut_link.hpp"
#include "actors/timeouts.hpp"

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/node_id.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

namespace {

using connector_ptr = connector_actor::stateful_pointer<connector_state>;

long long as_millis(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
}

void connect(connector_ptr self);

/// Tries again after the current back-off, doubling it up to the maximum.
void retry_later(connector_ptr self) {
  auto& st = self->state;
  st.backoff = std::clamp(st.backoff * 2, st.opts.backoff_min,
                          st.opts.backoff_max);
  self->delayed_send(self, st.backoff, reconnect_atom::value);
}

void schedule_tick(connector_ptr self) {
  auto& st = self->state;
  st.tick_due = self->clock().now() + st.opts.judge_interval;
  self->delayed_send(self, st.opts.judge_interval, ping_atom::value);
}

/// The server is gone (or may as well be): the server has failed our runs
/// as "device host lost" (or will fail them as interrupted at its
/// restart), so none may go on behind its back. A connection that may
/// still be open is ended, so that the reconnection is a fresh one.
void lose_server(connector_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.server)
    return;
  spdlog::warn("lost the server ({}); ending every run and reconnecting", why);
  self->send(st.host, stop_atom::value);
  self->demonitor(st.server.address());
  cut_link(self, st.server.node());
  st.server = nullptr;
  ++st.session;
  retry_later(self);
}

void register_host(connector_ptr self, gatekeeper_actor server,
                   std::vector<device_desc> devs) {
  auto& st = self->state;
  auto session = st.session;
  self
    ->request(server, request_timeout, register_atom::value, st.opts.node,
              st.opts.secret, st.host, devs)
    .then(
      [=](std::vector<std::string>& refused) {
        auto& st = self->state;
        if (session != st.session)
          return;
        if (!st.server) {
          self->monitor(server);
          st.server = server;
          st.backoff = caf::timespan{0};
          st.last_answer = self->clock().now();
          st.next_ping = st.last_answer + st.opts.ping_interval;
        }
        if (!st.pinging) {
          st.pinging = true;
          schedule_tick(self);
        }
        st.registered_all = refused.empty();
        self->send(st.host, attach_atom::value,
                   caf::actor_cast<device_report_actor>(server));
        spdlog::info("registered with the server as '{}': {} devices",
                     st.opts.node, devs.size() - refused.size());
        if (!refused.empty()) {
          // Another live node has these; try again once it may be gone.
          for (auto& serial : refused)
            spdlog::warn("device {} refused: another node has it", serial);
          self->delayed_send(self, st.opts.backoff_max, register_atom::value);
        }
      },
      [=](caf::error& err) {
        if (session != self->state.session)
          return;
        auto api = to_api_error(err);
        // A wrong secret or a taken node name: retrying cannot help.
        if (api.code == ec::no_api_access || api.code == ec::conflict) {
          spdlog::critical("the server refused this agent: {}", api.message);
          self->quit(err);
          return;
        }
        spdlog::error("registration failed: {}; retrying", api.message);
        if (self->state.server) // registered: only the refused serials
          self->delayed_send(self, self->state.opts.backoff_max,
                             register_atom::value);
        else
          retry_later(self);
      });
}

void connect(connector_ptr self) {
  auto& st = self->state;
  auto& sys = self->home_system();
  auto mm = st.opts.tls ? sys.openssl_manager().actor_handle()
                        : sys.middleman().actor_handle();
  auto session = st.session;
  self
    ->request(mm, request_timeout, caf::connect_atom::value, st.opts.address,
              st.opts.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
        if (session != self->state.session)
          return;
        if (!ptr) {
          spdlog::error("no server actor on {}:{}; retrying",
                        self->state.opts.address, self->state.opts.port);
          retry_later(self);
          return;
        }
        auto server = caf::actor_cast<gatekeeper_actor>(std::move(ptr));
        self->request(self->state.host, request_timeout, get_atom::value)
          .then(
            [=](std::vector<device_desc>& devs) {
              register_host(self, server, std::move(devs));
            },
            [=](caf::error&) { retry_later(self); });
      },
      [=](caf::error& err) {
        if (session != self->state.session)
          return;
        // What a plain agent hears from a TLS server (and the reverse).
        auto hint = err == caf::sec::disconnect_during_handshake
                      ? " (TLS on one side only? see the openssl.* options)"
                      : "";
        spdlog::warn("cannot reach the server at {}:{} ({}{}); retrying",
                     self->state.opts.address, self->state.opts.port,
                     to_string(err), hint);
        retry_later(self);
      });
}

/// Every judge interval while registered: judges the answers so far, and
/// pings every ping interval.
void tick(connector_ptr self) {
  auto& st = self->state;
  if (!st.server) {
    st.pinging = false;
    return;
  }
  auto now = self->clock().now();
  if (now - st.tick_due > st.opts.ping_interval) {
    // This process did not run (SIGSTOP, starved): the answers may still
    // be unread. The server is not judged on that gap.
    spdlog::warn("this agent ran {} ms late; pings are judged afresh",
                 as_millis(now - st.tick_due));
    st.last_answer = now;
  } else if (now - st.last_answer > st.opts.ping_timeout) {
    st.pinging = false;
    lose_server(self, "no answer to pings for "
                        + std::to_string(as_millis(now - st.last_answer))
                        + " ms");
    return;
  }
  schedule_tick(self);
  if (now < st.next_ping)
    return;
  st.next_ping = now + st.opts.ping_interval;
  auto session = st.session;
  self->request(st.server, st.opts.ping_timeout, ping_atom::value, st.opts.node)
    .then(
      [=](ok_atom) {
        if (session == self->state.session)
          self->state.last_answer = self->clock().now();
      },
      [=](caf::error& err) {
        // A timeout is judged by the ticks; the server saying it does not
        // know this node (it declared it lost) ends the link now.
        if (session == self->state.session && err.category() == error_category)
          lose_server(self, to_api_error(err).message);
      });
}

} // namespace

connector_actor::behavior_type
connector(connector_ptr self, connector_options opts, device_host_actor host) {
  self->state.opts = std::move(opts);
  self->state.host = std::move(host);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    // Identity, not equality: the proxy of an earlier connection to the
    // same server compares equal to the current one.
    if (st.server
        && caf::actor_cast<caf::actor_control_block*>(st.server)
             == msg.source.get())
      lose_server(self, "the connection ended");
  });
  connect(self);
  return {
    [=](reconnect_atom) {
      if (!self->state.server)
        connect(self);
    },
    [=](register_atom) {
      auto& st = self->state;
      if (!st.server || st.registered_all)
        return;
      auto server = st.server;
      self->request(st.host, request_timeout, get_atom::value)
        .then(
          [=](std::vector<device_desc>& devs) {
            register_host(self, server, std::move(devs));
          },
          [](caf::error&) {});
    },
    [=](ping_atom) { tick(self); },
  };
}

} // namespace tmx

#include "actors/connector.hpp"

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

void connect(connector_ptr self);

/// Tries again after the current back-off, doubling it up to the maximum.
void retry_later(connector_ptr self) {
  auto& st = self->state;
  st.backoff = std::clamp(st.backoff * 2, st.opts.backoff_min,
                          st.opts.backoff_max);
  self->delayed_send(self, st.backoff, reconnect_atom::value);
}

void register_host(connector_ptr self, gatekeeper_actor server,
                   std::vector<device_desc> devs) {
  auto& st = self->state;
  self
    ->request(server, request_timeout, register_atom::value, st.opts.node,
              st.opts.secret, st.host, devs)
    .then(
      [=](std::vector<std::string>& refused) {
        auto& st = self->state;
        if (!st.server) {
          self->monitor(server);
          st.server = server;
          st.backoff = caf::timespan{0};
        }
        if (!st.pinging) {
          st.pinging = true;
          self->delayed_send(self, st.opts.ping_interval, ping_atom::value);
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
        auto api = to_api_error(err);
        // A wrong secret or a taken node name: retrying cannot help.
        if (api.code == ec::no_api_access || api.code == ec::conflict) {
          spdlog::critical("the server refused this agent: {}", api.message);
          self->quit(err);
          return;
        }
        spdlog::error("registration failed: {}; retrying", api.message);
        retry_later(self);
      });
}

void connect(connector_ptr self) {
  auto& st = self->state;
  auto& sys = self->home_system();
  auto mm = st.opts.tls ? sys.openssl_manager().actor_handle()
                        : sys.middleman().actor_handle();
  self
    ->request(mm, request_timeout, caf::connect_atom::value, st.opts.address,
              st.opts.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
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
        spdlog::warn("cannot reach the server at {}:{} ({}); retrying",
                     self->state.opts.address, self->state.opts.port,
                     to_string(err));
        retry_later(self);
      });
}

} // namespace

connector_actor::behavior_type
connector(connector_ptr self, connector_options opts, device_host_actor host) {
  self->state.opts = std::move(opts);
  self->state.host = std::move(host);
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    if (!st.server || msg.source != st.server.address())
      return;
    // The server has failed our runs as "device host lost" (or will fail
    // them as interrupted at its restart): none may go on behind its back.
    spdlog::warn("lost the server; ending every run and reconnecting");
    self->send(st.host, stop_atom::value);
    st.server = nullptr;
    retry_later(self);
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
    [=](ping_atom) {
      auto& st = self->state;
      if (!st.server) {
        st.pinging = false;
        return;
      }
      self->send(st.server, ping_atom::value, st.opts.node);
      self->delayed_send(self, st.opts.ping_interval, ping_atom::value);
    },
  };
}

} // namespace tmx

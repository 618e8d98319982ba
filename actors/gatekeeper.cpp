#include "actors/gatekeeper.hpp"

#include "actors/timeouts.hpp"
#include "model/text.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/node_id.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx {

namespace {

using gatekeeper_ptr = gatekeeper_actor::stateful_pointer<gatekeeper_state>;

/// Records the node and fills in its network address once the middleman
/// knows it.
void record(gatekeeper_ptr self, const std::string& name,
            const device_host_actor& host, const std::vector<device_desc>& devs,
            const std::vector<std::string>& refused) {
  auto& st = self->state;
  auto now = st.clock();
  auto& node = st.nodes[name];
  if (node.host && node.host != host)
    self->demonitor(node.host.address());
  node.host = host;
  self->monitor(host);
  node.info.name = name;
  node.info.devices.clear();
  for (auto& d : devs)
    if (std::find(refused.begin(), refused.end(), d.serial) == refused.end())
      node.info.devices.push_back(d.serial);
  node.info.connected_since = now;
  node.info.last_seen = now;
  node.info.online = true;
  if (host.node() == self->node()) {
    node.info.address = "in-process";
    return;
  }
  auto mm = self->home_system().middleman().actor_handle();
  self->request(mm, request_timeout, get_atom::value, host.node())
    .then(
      [=](const caf::node_id&, const std::string& peer, uint16_t port) {
        auto i = self->state.nodes.find(name);
        if (i != self->state.nodes.end() && i->second.host == host)
          i->second.info.address = peer + ":" + std::to_string(port);
      },
      [](caf::error&) {});
}

} // namespace

gatekeeper_actor::behavior_type gatekeeper(gatekeeper_ptr self,
                                           std::string secret,
                                           task_manager_actor manager,
                                           std::function<millis()> clock) {
  auto& st = self->state;
  st.secret = std::move(secret);
  st.manager = std::move(manager);
  st.clock = std::move(clock);
  self->set_down_handler([=](const caf::down_msg& msg) {
    for (auto& [name, node] : self->state.nodes) {
      if (node.host.address() != msg.source)
        continue;
      spdlog::warn("node '{}' lost ({})", name, to_string(msg.reason));
      node.info.online = false;
      node.host = nullptr;
    }
  });
  return {
    [=](register_atom, const std::string& name, const std::string& secret,
        const device_host_actor& host, const std::vector<device_desc>& devs)
      -> caf::result<std::vector<std::string>> {
      if (!host || name.empty())
        return make_error(ec::invalid_params, "registration needs a node "
                                              "name and a device host");
      if (!same_secret(secret, self->state.secret)) {
        spdlog::warn("refused node '{}': wrong cluster secret", name);
        return make_error(ec::no_api_access, "refused: wrong cluster secret");
      }
      // A node name is one machine's host: a second live host under it
      // would have its devices attributed to the first.
      auto known = self->state.nodes.find(name);
      if (known != self->state.nodes.end() && known->second.host
          && known->second.host != host) {
        auto& at = known->second.info.address;
        spdlog::warn("refused node '{}': a live node of that name is "
                     "registered from {}",
                     name, at);
        return make_error(ec::conflict, "refused: node name '" + name
                                          + "' is taken by a live node (" + at
                                          + ")");
      }
      auto rp = self->make_response_promise<std::vector<std::string>>();
      self
        ->request(self->state.manager, request_timeout, register_atom::value,
                  name, host, devs)
        .then(
          [=](std::vector<std::string>& refused) mutable {
            record(self, name, host, devs, refused);
            spdlog::info("node '{}' registered with {} devices{}", name,
                         devs.size() - refused.size(),
                         refused.empty() ? ""
                                         : " (" + std::to_string(refused.size())
                                             + " refused)");
            rp.deliver(std::move(refused));
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](ping_atom, const std::string& name) {
      auto i = self->state.nodes.find(name);
      // Only the registered host's node may speak for the node.
      if (i == self->state.nodes.end() || !i->second.host
          || i->second.host.node() != self->current_sender()->node())
        return;
      i->second.info.last_seen = self->state.clock();
    },
    [=](device_atom, const std::string& name, const device_desc& d) {
      auto i = self->state.nodes.find(name);
      // As for pings: only the registered host's node speaks for it.
      if (i == self->state.nodes.end() || !i->second.host
          || !self->current_sender()
          || i->second.host.node() != self->current_sender()->node())
        return;
      auto& devices = i->second.info.devices;
      auto pos = std::find(devices.begin(), devices.end(), d.serial);
      if (pos == devices.end() && d.state_reason != "disconnected")
        devices.push_back(d.serial);
      else if (pos != devices.end() && d.state_reason == "disconnected")
        devices.erase(pos);
      self->send(self->state.manager, device_atom::value, name, i->second.host,
                 d);
    },
    [=](node_atom) -> caf::result<std::vector<node_info>> {
      if (self->current_sender()
          && self->current_sender()->node() != self->node())
        return make_error(ec::no_api_access, "not available to peers");
      std::vector<node_info> out;
      for (auto& [name, node] : self->state.nodes)
        out.push_back(node.info);
      return out;
    },
  };
}

} // namespace tmx

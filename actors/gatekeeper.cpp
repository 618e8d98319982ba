#include "actors/gatekeeper.hpp"

#include "actors/cut_link.hpp"
#include "actors/timeouts.hpp"
#include "model/device_json.hpp"
#include "model/text.hpp"

#include <caf/actor_cast.hpp>
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

long long as_millis(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
}

/// Whether `host` is the very proxy `addr` names. Proxies of one remote
/// actor compare equal across connections; only the one of the connection
/// that broke is gone.
bool same_proxy(const device_host_actor& host, const caf::actor_addr& addr) {
  return caf::actor_cast<caf::actor_control_block*>(host) == addr.get();
}

/// node.online or node.offline, as the node is now.
void announce(gatekeeper_ptr self, const node_info& info) {
  auto& st = self->state;
  if (!st.opts.db)
    return;
  auto type = info.online ? event_type::node_online : event_type::node_offline;
  self->send(st.opts.db, event_atom::value,
             std::vector<event>{make_event(type, st.clock(), node_json(info))});
}

/// Judges the pings every tick while a remote node is online.
void keep_ticking(gatekeeper_ptr self) {
  auto& st = self->state;
  if (st.ticking)
    return;
  st.ticking = true;
  st.tick_due = self->clock().now() + st.opts.tick_interval;
  self->delayed_send(self, st.opts.tick_interval, tick_atom::value);
}

/// The node's connection is cut: its host proxy dies and the task manager
/// and devices take the path of a broken connection (running tasks fail
/// as "device host lost"); the agent sees the end and registers anew.
void lose(gatekeeper_ptr self, const std::string& name, known_node& node,
          caf::timespan silent) {
  spdlog::warn("node '{}' lost: no ping for {} ms; ending its connection", name,
               as_millis(silent));
  auto host = std::move(node.host);
  node.host = nullptr;
  node.info.online = false;
  announce(self, node.info);
  self->demonitor(host.address());
  cut_link(self, host.node());
}

void judge_pings(gatekeeper_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  st.ticking = false;
  if (now - st.tick_due > st.opts.stall) {
    // This process did not run (stopped, or starved): the pings that came
    // meanwhile may still be unread. Nobody is judged on that gap.
    spdlog::warn("the gatekeeper ran {} ms late; pings are judged afresh",
                 as_millis(now - st.tick_due));
    for (auto& [name, node] : st.nodes)
      node.last_ping = now;
  }
  bool any = false;
  for (auto& [name, node] : st.nodes) {
    if (!node.remote || !node.host)
      continue;
    auto silent = now - node.last_ping;
    if (silent > st.opts.ping_timeout)
      lose(self, name, node, silent);
    else
      any = true;
  }
  if (any)
    keep_ticking(self);
}

/// Records the node and fills in its network address once the middleman
/// knows it.
void record(gatekeeper_ptr self, const std::string& name,
            const device_host_actor& host, const std::vector<device_desc>& devs,
            const std::vector<std::string>& refused) {
  auto& st = self->state;
  auto now = st.clock();
  auto& node = st.nodes[name];
  if (node.host && !same_proxy(node.host, host.address()))
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
  node.remote = host.node() != self->node();
  node.last_ping = self->clock().now();
  if (!node.remote) {
    node.info.address = "in-process";
    announce(self, node.info);
    return;
  }
  announce(self, node.info);
  keep_ticking(self);
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

/// The node `name` if the current sender's machine is its registered host:
/// only that node may speak for it.
known_node* speaker(gatekeeper_ptr self, const std::string& name) {
  auto i = self->state.nodes.find(name);
  auto sender = self->current_sender();
  if (i == self->state.nodes.end() || !i->second.host || !sender
      || i->second.host.node() != sender->node())
    return nullptr;
  return &i->second;
}

} // namespace

gatekeeper_actor::behavior_type gatekeeper(gatekeeper_ptr self,
                                           gatekeeper_options opts,
                                           task_manager_actor manager,
                                           std::function<millis()> clock) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.manager = std::move(manager);
  st.clock = std::move(clock);
  self->set_down_handler([=](const caf::down_msg& msg) {
    for (auto& [name, node] : self->state.nodes) {
      if (!node.host || !same_proxy(node.host, msg.source))
        continue;
      spdlog::warn("node '{}' lost ({})", name, to_string(msg.reason));
      node.info.online = false;
      node.host = nullptr;
      announce(self, node.info);
    }
  });
  return {
    [=](register_atom, const std::string& name, const std::string& secret,
        const device_host_actor& host, const std::vector<device_desc>& devs)
      -> caf::result<std::vector<std::string>> {
      if (!host || name.empty())
        return make_error(ec::invalid_params, "registration needs a node "
                                              "name and a device host");
      if (!same_secret(secret, self->state.opts.secret)) {
        spdlog::warn("refused node '{}': wrong cluster secret", name);
        return make_error(ec::no_api_access, "refused: wrong cluster secret");
      }
      // A node name is one machine's host: a second live host under it
      // would have its devices attributed to the first. The same host
      // coming back (over a new connection) is welcome.
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
    [=](ping_atom, const std::string& name) -> caf::result<ok_atom> {
      auto node = speaker(self, name);
      if (!node)
        return make_error(ec::not_found,
                          "node '" + name + "' is not registered");
      node->last_ping = self->clock().now();
      node->info.last_seen = self->state.clock();
      return ok_atom::value;
    },
    [=](tick_atom) {
      // Only this actor's own timer judges; a tick from a peer would only
      // disturb the late-tick check.
      if (self->current_sender() == self->ctrl())
        judge_pings(self);
    },
    [=](device_atom, const std::string& name, const device_desc& d) {
      // As for pings: only the registered host's node speaks for it.
      auto node = speaker(self, name);
      if (!node)
        return;
      auto& devices = node->info.devices;
      auto pos = std::find(devices.begin(), devices.end(), d.serial);
      if (pos == devices.end() && d.state_reason != "disconnected")
        devices.push_back(d.serial);
      else if (pos != devices.end() && d.state_reason == "disconnected")
        devices.erase(pos);
      self->send(self->state.manager, device_atom::value, name, node->host, d);
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

#include "actors/adb_host.hpp"

#include "actors/host_runs.hpp"
#include "actors/timeouts.hpp"
#include "host/adb_protocol.hpp"
#include "model/run_policy.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

namespace tmx {

namespace {

using host_ptr = adb_host_actor::stateful_pointer<adb_host_state>;

constexpr const char* unreachable_reason = "adb server unreachable";

host::adb_endpoint endpoint(const adb_options& opts) {
  return {opts.run.adb_address, opts.run.adb_port};
}

void report(host_ptr self, const device_desc& d) {
  auto& st = self->state;
  if (st.listener)
    self->send(st.listener, device_atom::value, st.opts.run.node, d);
}

/// Reads what tmx shows of each phone (all of it, or only the battery) on
/// a thread of its own: adb may take seconds per phone.
void read_phones(host_ptr self, std::vector<std::string> serials, bool full) {
  if (serials.empty())
    return;
  auto at = endpoint(self->state.opts);
  auto me = caf::actor_cast<adb_host_actor>(self);
  self->spawn<caf::detached>([=](caf::event_based_actor* reader) {
    for (auto& serial : serials) {
      device_desc d;
      d.serial = serial;
      std::string out;
      std::string error;
      auto shell = [&](const std::string& cmd) {
        out.clear();
        return host::adb_device_service(at, serial, "shell:" + cmd, out, error,
                                        std::chrono::seconds(5), 1u << 20);
      };
      if (full && shell("getprop ro.product.model"))
        d.model = host::first_line(out);
      if (full && shell("getprop ro.build.version.release"))
        d.android = host::first_line(out);
      if (shell("dumpsys battery"))
        d.battery = host::parse_battery_level(out);
      reader->send(me, put_atom::value, std::move(d));
    }
  });
}

/// The adb server's list, as this host saw it change.
void track(host_ptr self, std::vector<device_desc>& seen) {
  auto& st = self->state;
  if (!st.reachable)
    spdlog::info("adb server on {}:{} reachable again", st.opts.run.adb_address,
                 st.opts.run.adb_port);
  st.reachable = true;
  std::vector<std::string> to_read;
  std::map<std::string, device_desc> now;
  for (auto& d : seen) {
    auto i = st.devices.find(d.serial);
    device_desc next = i != st.devices.end() ? i->second : d;
    bool changed = i == st.devices.end() || next.state_reason != d.state_reason;
    next.state_reason = d.state_reason;
    if (next.online() && next.model.empty() && changed)
      to_read.push_back(d.serial);
    if (changed)
      report(self, next);
    now.emplace(d.serial, std::move(next));
  }
  // Gone from the list: unplugged (kept, so that it comes back as it was).
  for (auto& [serial, d] : st.devices) {
    if (now.count(serial) != 0)
      continue;
    auto gone = d;
    if (gone.state_reason != "disconnected") {
      gone.state_reason = "disconnected";
      report(self, gone);
    }
    now.emplace(serial, std::move(gone));
  }
  st.devices = std::move(now);
  read_phones(self, std::move(to_read), true);
}

void unreachable(host_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.reachable)
    spdlog::warn("adb server on {}:{} unreachable ({}); devices offline "
                 "until it is back",
                 st.opts.run.adb_address, st.opts.run.adb_port, why);
  st.reachable = false;
  for (auto& [serial, d] : st.devices) {
    if (d.state_reason == "disconnected"
        || d.state_reason == unreachable_reason)
      continue;
    d.state_reason = unreachable_reason;
    report(self, d);
  }
}

void end_run(host_ptr self, task_id id) {
  auto& runs = self->state.runs;
  auto i = runs.find(id);
  if (i == runs.end())
    return;
  // The runner stays until its process is gone, and reports nothing.
  caf::anon_send(i->second.runner, cancel_atom::value);
  self->state.ending.insert(i->second.runner.address());
  runs.erase(i);
}

} // namespace

adb_host_actor::behavior_type adb_host(host_ptr self, adb_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  auto me = caf::actor_cast<adb_host_actor>(self);
  st.tracker = std::make_unique<host::device_tracker>(
    endpoint(st.opts),
    [me](std::vector<host::adb_device> list) {
      std::vector<device_desc> seen;
      for (auto& dev : list) {
        device_desc d;
        d.serial = dev.serial;
        d.driver = "adb";
        d.state_reason = host::state_reason(dev.state);
        seen.push_back(std::move(d));
      }
      caf::anon_send(me, track_atom::value, std::move(seen));
    },
    [me](std::string reason) {
      caf::anon_send(me, track_atom::value, std::move(reason));
    });
  self->delayed_send(self, st.opts.battery_interval, tick_atom::value);
  // Runners are linked: when the host goes, its scripts go with it.
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    if (settle_runner_exit(self, self->state.runs, msg))
      return;
    if (self->state.ending.erase(msg.source) != 0)
      return; // a cancelled runner is done
    if (msg.reason)
      self->quit(msg.reason); // from the supervisor
  });
  return {
    [=](run_atom, run_order& order) {
      auto dev = caf::actor_cast<device_actor>(self->current_sender());
      auto& st = self->state;
      auto i = st.devices.find(order.serial);
      auto id = order.t.id;
      if (i == st.devices.end() || !i->second.online()) {
        auto reason = i == st.devices.end() ? std::string("disconnected")
                                            : i->second.state_reason;
        self->send(dev, done_atom::value,
                   run_result{id, false, offline_remark(reason), {}});
        return;
      }
      auto runner = self->spawn<caf::linked>(script_runner, dev,
                                             std::move(order), st.opts.run);
      st.runs[id] = adb_run{runner, dev};
    },
    [=](cancel_atom, task_id id) { end_run(self, id); },
    [=](stop_atom) {
      auto& runs = self->state.runs;
      if (!runs.empty())
        spdlog::warn("adb host '{}': ending {} runs", self->state.opts.run.node,
                     runs.size());
      std::vector<task_id> ids;
      for (auto& [id, run] : runs)
        ids.push_back(id);
      for (auto id : ids)
        end_run(self, id);
    },
    [=](get_atom) {
      std::vector<device_desc> out;
      for (auto& [serial, d] : self->state.devices)
        out.push_back(d);
      return out;
    },
    [=](attach_atom, device_report_actor& listener) {
      self->state.listener = std::move(listener);
      for (auto& [serial, d] : self->state.devices)
        report(self, d);
    },
    [=](screen_atom, const std::string& serial) -> caf::result<std::string> {
      auto& st = self->state;
      auto i = st.devices.find(serial);
      if (i == st.devices.end() || !i->second.online())
        return make_error(ec::conflict, "device " + serial + " is offline");
      auto at = endpoint(st.opts);
      auto reader = self->spawn<caf::detached>(
        [at](caf::event_based_actor* reader) -> caf::behavior {
          return {[=](screen_atom,
                      const std::string& serial) -> caf::result<std::string> {
            reader->quit();
            std::string png;
            std::string error;
            if (!host::adb_device_service(at, serial, "exec:screencap -p", png,
                                          error, std::chrono::seconds(8)))
              return make_error(ec::internal, "screenshot failed: " + error);
            return png;
          }};
        });
      auto rp = self->make_response_promise<std::string>();
      self->request(reader, request_timeout, screen_atom::value, serial)
        .then([=](std::string& png) mutable { rp.deliver(std::move(png)); },
              [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](track_atom, std::vector<device_desc>& seen) { track(self, seen); },
    [=](track_atom, const std::string& why) { unreachable(self, why); },
    [=](put_atom, device_desc& read) {
      auto& st = self->state;
      auto i = st.devices.find(read.serial);
      if (i == st.devices.end())
        return;
      auto& d = i->second;
      bool changed = (!read.model.empty() && read.model != d.model)
                     || (!read.android.empty() && read.android != d.android)
                     || (read.battery >= 0 && read.battery != d.battery);
      if (!read.model.empty())
        d.model = read.model;
      if (!read.android.empty())
        d.android = read.android;
      if (read.battery >= 0)
        d.battery = read.battery;
      if (changed)
        report(self, d);
    },
    [=](tick_atom) {
      std::vector<std::string> online;
      for (auto& [serial, d] : self->state.devices)
        if (d.online())
          online.push_back(serial);
      read_phones(self, std::move(online), false);
      self->delayed_send(self, self->state.opts.battery_interval,
                         tick_atom::value);
    },
  };
}

} // namespace tmx

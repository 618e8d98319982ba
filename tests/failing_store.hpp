// A store stand-in for actor tests: forwards every message to the real
// store actor, except the writes a test tells it to refuse, which fail as
// a full disk would (50001, nothing written).
#pragma once

#include "actors/actors.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <set>
#include <string>

namespace tmx::test {

/// Which writes to refuse ("create", "update", "log", "erase", "device",
/// "account", "group", "schedule"; "create" refuses a schedule's firing
/// too), and how many were refused.
struct store_faults {
  std::set<std::string> refused;
  size_t refusals = 0;

  bool refuse(const char* kind) {
    if (refused.count(kind) == 0)
      return false;
    ++refusals;
    return true;
  }
};

inline caf::error refused_write() {
  return make_error(ec::internal, "internal error: storage failure");
}

inline store_actor::behavior_type
failing_store(store_actor::pointer self, store_actor real,
              std::shared_ptr<store_faults> faults) {
  return {
    [=](create_atom a, const std::vector<task>& ts,
        const idempotency_record& key) -> caf::result<ok_atom> {
      if (faults->refuse("create"))
        return refused_write();
      return self->delegate(real, a, ts, key);
    },
    [=](create_atom a, const std::vector<task>& ts,
        const idempotency_record& key,
        const schedule& firing) -> caf::result<ok_atom> {
      if (faults->refuse("create"))
        return refused_write();
      return self->delegate(real, a, ts, key, firing);
    },
    [=](schedule_atom a, const schedule& s) -> caf::result<schedule> {
      if (faults->refuse("schedule"))
        return refused_write();
      return self->delegate(real, a, s);
    },
    [=](schedule_atom a, erase_atom e, uint64_t id) -> caf::result<ok_atom> {
      if (faults->refuse("schedule"))
        return refused_write();
      return self->delegate(real, a, e, id);
    },
    [=](update_atom a, const std::vector<task>& ts,
        const std::vector<task_log>& logs) -> caf::result<ok_atom> {
      if (faults->refuse("update"))
        return refused_write();
      return self->delegate(real, a, ts, logs);
    },
    [=](log_atom a, task_id id) { return self->delegate(real, a, id); },
    [=](due_atom a, millis from, millis until) {
      return self->delegate(real, a, from, until);
    },
    [=](account_atom a, const account& x) -> caf::result<ok_atom> {
      if (faults->refuse("account"))
        return refused_write();
      return self->delegate(real, a, x);
    },
    [=](account_atom a, erase_atom e,
        const std::string& name) -> caf::result<ok_atom> {
      if (faults->refuse("account"))
        return refused_write();
      return self->delegate(real, a, e, name);
    },
    [=](erase_atom a,
        const std::vector<task_id>& ids) -> caf::result<std::vector<task_id>> {
      if (faults->refuse("erase"))
        return refused_write();
      return self->delegate(real, a, ids);
    },
    [=](get_atom a, task_id id) { return self->delegate(real, a, id); },
    [=](list_atom a, const task_filter& f, uint32_t page, uint32_t size) {
      return self->delegate(real, a, f, page, size);
    },
    [=](stats_atom a) { return self->delegate(real, a); },
    [=](failed_atom a) { return self->delegate(real, a); },
    [=](idem_atom a, const std::string& key) {
      return self->delegate(real, a, key);
    },
    [=](device_atom a, const device_desc& d) -> caf::result<ok_atom> {
      if (faults->refuse("device"))
        return refused_write();
      return self->delegate(real, a, d);
    },
    [=](log_atom a, task_id id,
        const std::vector<log_line>& lines) -> caf::result<ok_atom> {
      if (faults->refuse("log"))
        return refused_write();
      return self->delegate(real, a, id, lines);
    },
    [=](ready_atom a) { return self->delegate(real, a); },
    [=](publish_atom a) { self->send(real, a); },
    [=](sync_atom a) { self->send(real, a); },
    [=](create_atom a) { self->send(real, a); },
    [=](queue_atom a, const std::string& serial, uint64_t after, uint32_t n) {
      return self->delegate(real, a, serial, after, n);
    },
    [=](queue_atom a, millis now) { return self->delegate(real, a, now); },
    [=](expire_atom a, millis cutoff, uint32_t n) {
      return self->delegate(real, a, cutoff, n);
    },
    [=](event_atom a, const std::vector<event>& events) {
      self->send(real, a, events);
    },
    [=](event_atom a, uint64_t after, uint32_t limit) {
      return self->delegate(real, a, after, limit);
    },
    [=](webhook_atom a, const webhook& w) {
      return self->delegate(real, a, w);
    },
    [=](webhook_atom a) { return self->delegate(real, a); },
    [=](webhook_atom a, erase_atom e, uint64_t id) {
      return self->delegate(real, a, e, id);
    },
    [=](webhook_atom a, cursor_atom c, uint64_t id, uint64_t cursor) {
      return self->delegate(real, a, c, id, cursor);
    },
    [=](group_atom a, const device_group& g) -> caf::result<ok_atom> {
      if (faults->refuse("group"))
        return refused_write();
      return self->delegate(real, a, g);
    },
    [=](group_atom a, erase_atom e,
        const std::string& name) -> caf::result<ok_atom> {
      if (faults->refuse("group"))
        return refused_write();
      return self->delegate(real, a, e, name);
    },
    [=](shutdown_atom a) { return self->delegate(real, a); },
  };
}

} // namespace tmx::test

// How the message types of actors.hpp are serialised for CAF (its inspect
// protocol): the field lists, in one place, kept out of the map itself.
#pragma once

#include "actors/actors.hpp"

#include <caf/detail/scope_guard.hpp>
#include <caf/meta/type_name.hpp>

namespace tmx {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task& x) {
  return f(caf::meta::type_name("task"), x.id, x.serial, x.username,
           x.script_name, x.script_config, x.status, x.source, x.scheduled_at,
           x.created_at, x.started_at, x.finished_at, x.retry_count, x.remark,
           x.node, x.queue_seq, x.auto_retry_count, x.exit_code, x.schedule_id);
}

/// An absent status travels as -1.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        std::optional<task_status>& x) {
  int8_t wire = x ? static_cast<int8_t>(*x) : int8_t{-1};
  auto assign = caf::detail::make_scope_guard([&] {
    if constexpr (Inspector::writes_state) {
      if (wire < 0)
        x.reset();
      else
        x = static_cast<task_status>(wire);
    }
  });
  return f(wire);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_filter& x) {
  return f(caf::meta::type_name("task_filter"), x.status, x.serial,
           x.script_name, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_page& x) {
  return f(caf::meta::type_name("task_page"), x.tasks, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_counts& x) {
  return f(caf::meta::type_name("task_counts"), x.total, x.by_status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_record& x) {
  return f(caf::meta::type_name("idempotency_record"), x.key, x.fingerprint,
           x.task_ids, x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_desc& x) {
  return f(caf::meta::type_name("device_desc"), x.serial, x.accounts, x.driver,
           x.state_reason, x.model, x.android, x.battery);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_info& x) {
  return f(caf::meta::type_name("device_info"), x.serial, x.node, x.state,
           x.running_task_id, x.queued, x.accounts, x.groups, x.driver,
           x.state_reason, x.model, x.android, x.battery, x.last_seen);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_order& x) {
  return f(caf::meta::type_name("run_order"), x.t, x.serial, x.timeout);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_line& x) {
  return f(caf::meta::type_name("log_line"), x.at, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_log& x) {
  return f(caf::meta::type_name("task_log"), x.id, x.lines, x.append);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_result& x) {
  return f(caf::meta::type_name("run_result"), x.id, x.ok, x.remark, x.lines,
           x.exit_code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("node_info"), x.name, x.address, x.devices,
           x.connected_since, x.last_seen, x.online);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queued_entry& x) {
  return f(caf::meta::type_name("queued_entry"), x.id, x.seq, x.scheduled_at,
           x.username);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_slice& x) {
  return f(caf::meta::type_name("queue_slice"), x.ids, x.seqs, x.accounts,
           x.last, x.more);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, due_entry& x) {
  return f(caf::meta::type_name("due_entry"), x.due, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account& x) {
  return f(caf::meta::type_name("account"), x.username, x.serial, x.platform,
           x.enabled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_group& x) {
  return f(caf::meta::type_name("device_group"), x.name, x.serials,
           x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule& x) {
  return f(caf::meta::type_name("schedule"), x.id, x.name, x.enabled,
           x.weekdays, x.times, x.task, x.created_at, x.armed_at, x.last_slot,
           x.last_run_at, x.last_task_ids, x.next_run_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_patch& x) {
  return f(caf::meta::type_name("schedule_patch"), x.id, x.fields, x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_request& x) {
  return f(caf::meta::type_name("create_request"), x.serials, x.usernames,
           x.groups, x.script_name, x.multi_account, x.start_at, x.min_interval,
           x.max_interval, x.configs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_command& x) {
  return f(caf::meta::type_name("create_command"), x.req, x.source,
           x.idempotency_key, x.fingerprint, x.dry_run, x.firing);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("event"), x.id, x.type, x.at, x.data,
           x.task_record);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, webhook& x) {
  return f(caf::meta::type_name("webhook"), x.id, x.url, x.events, x.secret,
           x.created_at, x.cursor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_attempt& x) {
  return f(caf::meta::type_name("delivery_attempt"), x.event_id, x.type,
           x.attempt, x.status, x.error, x.at);
}

} // namespace tmx

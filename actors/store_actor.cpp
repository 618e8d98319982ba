#include "actors/store_actor.hpp"

#include "metrics/metrics.hpp"

#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace tmx {

namespace {

/// Turns a store result into the error a requester gets; storage details go
/// to the log only. While the store refuses writes (a full disk) every
/// write fails: the store logged why once, and these stay at debug so that
/// the log does not fill the disk too.
caf::error failure(const store& db, store_errc e, const char* what) {
  if (e == store_errc::not_found)
    return make_error(ec::not_found, "task not found");
  auto level = e == store_errc::io_error && db.refuses_writes()
                 ? spdlog::level::debug
                 : spdlog::level::err;
  spdlog::log(level, "store: {} failed: {}", what, to_string(e));
  return make_error(ec::internal, "internal error: storage failure");
}

/// Runs `write`, one write of the store (the reads it makes of what it
/// changes included), and observes how long it took, however it ended.
template <class Write>
store_errc timed(Write write) {
  auto start = std::chrono::steady_clock::now();
  auto e = write();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  metrics::observe_store_write(took.count());
  return e;
}

/// Hands the events written since the last time to the hub, and now and
/// then deletes the stored events that neither the hub's ring (after a
/// restart) nor a webhook's sender needs any more.
void flush(store_actor::stateful_pointer<store_state> self) {
  auto& st = self->state;
  if (st.db->unsynced())
    return; // not durable yet: the sync after them hands them on
  auto events = st.db->take_events();
  if (events.empty() || !st.hub)
    return;
  self->send(st.hub, publish_atom::value, std::move(events));
  auto last = st.db->last_event_id();
  if (last < st.next_trim)
    return;
  st.next_trim = last + 4096;
  auto keep_from = last + 1 > kept_events ? last + 1 - kept_events : 0;
  std::vector<webhook> hooks;
  if (st.db->webhooks(hooks) != store_errc::ok)
    return;
  for (auto& h : hooks)
    keep_from = std::min(keep_from, h.cursor + 1);
  if (keep_from > st.db->first_event_id()
      && timed([&] { return st.db->trim_events(keep_from); }) != store_errc::ok)
    spdlog::warn("store: old events not deleted (the store refuses writes)");
}

/// After a write: its events go to the hub within a millisecond, with
/// those of the writes after it in that time (one message, one write per
/// event stream, instead of one per write), or at once when many wait.
void publish(store_actor::stateful_pointer<store_state> self) {
  auto& st = self->state;
  auto waiting = st.db->written_event_count();
  if (waiting == 0)
    return;
  if (!st.hub) {
    st.db->take_events();
    return;
  }
  if (waiting >= publish_batch)
    return flush(self);
  if (!st.flush_due) {
    st.flush_due = true;
    self->delayed_send(self, publish_delay, publish_atom::value);
  }
}

/// With storage.sync, asks itself for one fsync after every message now in
/// its mailbox: the writes of all of them share it (group commit).
void sync_later(store_actor::stateful_pointer<store_state> self) {
  auto& st = self->state;
  if (st.sync_due || !st.db->unsynced())
    return;
  st.sync_due = true;
  self->send(self, sync_atom::value);
}

/// The reply to a write: `value` at once, or, when the write waits for an
/// fsync (storage.sync), once the next sync has made it durable (the
/// storage error if that fails). Never an acknowledgement before then.
template <class T>
caf::result<T> acked(store_actor::stateful_pointer<store_state> self, T value) {
  auto& st = self->state;
  if (!st.db->unsynced())
    return value;
  auto promise = self->make_response_promise<T>();
  st.unsynced_acks.emplace_back(
    [promise, value = std::move(value)](const caf::error& err) mutable {
      if (err)
        promise.deliver(err);
      else
        promise.deliver(std::move(value));
    });
  sync_later(self);
  return promise;
}

/// One fsync for every write since the last; then their replies and events.
void sync_now(store_actor::stateful_pointer<store_state> self) {
  auto& st = self->state;
  st.sync_due = false;
  auto e = timed([&] { return st.db->sync(); });
  caf::error err;
  if (e != store_errc::ok)
    err = failure(*st.db, e, "sync");
  auto acks = std::move(st.unsynced_acks);
  st.unsynced_acks.clear();
  for (auto& ack : acks)
    ack(err);
  if (!err)
    publish(self);
}

} // namespace

store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db, event_hub_actor hub) {
  self->state.db = std::move(db);
  self->state.hub = std::move(hub);
  self->state.next_trim = self->state.db->first_event_id() + kept_events;
  // With storage.sync the fsync is shared by the writes of a mailbox sweep.
  self->state.db->defer_sync(true);
  return {
    [=](create_atom, const std::vector<task>& tasks,
        const idempotency_record& key) -> caf::result<ok_atom> {
      auto e = timed([&] {
        return self->state.db->insert(tasks, key.key.empty() ? nullptr : &key);
      });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "insert");
      publish(self);
      return acked(self, ok_atom::value);
    },
    [=](create_atom, const std::vector<task>& tasks,
        const idempotency_record& key,
        const schedule& firing) -> caf::result<ok_atom> {
      auto e = timed([&] {
        return self->state.db->insert(tasks, key.key.empty() ? nullptr : &key,
                                      &firing);
      });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such schedule");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "insert of a schedule's tasks");
      publish(self);
      return acked(self, ok_atom::value);
    },
    [=](schedule_atom, schedule& s) -> caf::result<schedule> {
      auto e = timed([&] { return self->state.db->put_schedule(s); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "schedule write");
      return acked(self, std::move(s));
    },
    [=](schedule_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->erase_schedule(id); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such schedule");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "schedule removal");
      return acked(self, ok_atom::value);
    },
    [=](update_atom, const std::vector<task>& tasks,
        const std::vector<task_log>& logs) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->update(tasks, logs); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "update");
      publish(self);
      return acked(self, ok_atom::value);
    },
    [=](log_atom, task_id id) -> caf::result<std::vector<log_line>> {
      std::vector<log_line> lines;
      auto e = self->state.db->get_log(id, lines);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "log read");
      return lines;
    },
    [=](log_atom, task_id id,
        std::vector<log_line>& lines) -> caf::result<ok_atom> {
      auto e = timed([&] {
        return self->state.db->update({},
                                      {task_log{id, std::move(lines), true}});
      });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "log append");
      return acked(self, ok_atom::value);
    },
    [=](due_atom, millis from,
        millis until) -> caf::result<std::vector<due_entry>> {
      std::vector<due_entry> out;
      auto e = self->state.db->for_each_due(from, until,
                                            [&](millis due, task_id id) {
                                              out.push_back({due, id});
                                              return true;
                                            });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "due scan");
      return out;
    },
    [=](account_atom, const account& a) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->put_account(a); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account write");
      return acked(self, ok_atom::value);
    },
    [=](account_atom, erase_atom,
        const std::string& username) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->erase_account(username); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such account");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account removal");
      return acked(self, ok_atom::value);
    },
    [=](erase_atom,
        const std::vector<task_id>& ids) -> caf::result<std::vector<task_id>> {
      std::vector<task_id> erased;
      auto e = timed([&] { return self->state.db->erase(ids, erased); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "erase");
      publish(self);
      return acked(self, std::move(erased));
    },
    [=](get_atom, task_id id) -> caf::result<task> {
      task t;
      auto e = self->state.db->get(id, t);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "get");
      return t;
    },
    [=](list_atom, const task_filter& filter, uint32_t page,
        uint32_t page_size) -> caf::result<task_page> {
      task_page out;
      auto e = self->state.db->list(filter, page, page_size, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "list");
      return out;
    },
    [=](stats_atom) { return self->state.db->counts(); },
    [=](failed_atom) -> caf::result<std::vector<task>> {
      std::vector<task> out;
      auto e = self->state.db->for_each_with_status(task_status::failed,
                                                    [&](const task& t) {
                                                      out.push_back(t);
                                                      return true;
                                                    });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "scan failed tasks");
      return out;
    },
    [=](idem_atom, const std::string& key) -> caf::result<idempotency_record> {
      idempotency_record out;
      auto e = self->state.db->find_idempotency(key, out);
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such idempotency key");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "idempotency lookup");
      return out;
    },
    [=](device_atom, const device_desc& dev) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->add_device(dev.serial); });
      for (size_t i = 0; e == store_errc::ok && i < dev.accounts.size(); ++i) {
        account existing;
        // A registered account keeps what the operator set (enabled,
        // platform); a host only adds the ones it finds.
        if (self->state.db->get_account(dev.accounts[i], existing)
            == store_errc::ok)
          continue;
        account a;
        a.username = dev.accounts[i];
        a.serial = dev.serial;
        e = timed([&] { return self->state.db->put_account(a); });
      }
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "device registration");
      return acked(self, ok_atom::value);
    },
    [=](ready_atom) { return self->state.db->write_failure(); },
    [=](event_atom, std::vector<event>& events) {
      auto e = timed(
        [&] { return self->state.db->append_events(std::move(events)); });
      if (e != store_errc::ok)
        failure(*self->state.db, e, "event write");
      sync_later(self);
      publish(self);
    },
    [=](event_atom, uint64_t after,
        uint32_t limit) -> caf::result<std::vector<event>> {
      std::vector<event> out;
      auto e = self->state.db->read_events(after, limit, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "event read");
      return out;
    },
    [=](webhook_atom, webhook& w) -> caf::result<webhook> {
      if (w.id == 0) // new: it gets the events written after this one
        w.cursor = self->state.db->last_event_id();
      auto e = timed([&] { return self->state.db->put_webhook(w); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook write");
      return acked(self, std::move(w));
    },
    [=](webhook_atom) -> caf::result<std::vector<webhook>> {
      std::vector<webhook> out;
      auto e = self->state.db->webhooks(out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook read");
      return out;
    },
    [=](webhook_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->erase_webhook(id); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such webhook");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook removal");
      return acked(self, ok_atom::value);
    },
    [=](webhook_atom, cursor_atom, uint64_t id,
        uint64_t cursor) -> caf::result<ok_atom> {
      auto e = timed(
        [&] { return self->state.db->set_webhook_cursor(id, cursor); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such webhook");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook cursor write");
      return acked(self, ok_atom::value);
    },
    [=](group_atom, const device_group& g) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->put_group(g); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "group write");
      return acked(self, ok_atom::value);
    },
    [=](group_atom, erase_atom,
        const std::string& name) -> caf::result<ok_atom> {
      auto e = timed([&] { return self->state.db->erase_group(name); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such group");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "group removal");
      return acked(self, ok_atom::value);
    },
    [=](publish_atom) {
      self->state.flush_due = false;
      flush(self);
    },
    [=](sync_atom) { sync_now(self); },
    [=](queue_atom, const std::string& serial, uint64_t after,
        uint32_t limit) -> caf::result<std::vector<queued_entry>> {
      std::vector<queued_entry> out;
      auto e = self->state.db->queued(serial, after, limit, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "queue read");
      return out;
    },
    [=](queue_atom, millis now)
      -> caf::result<std::vector<std::string>, std::vector<uint64_t>> {
      std::vector<std::pair<std::string, uint64_t>> counts;
      auto e = self->state.db->queued_by_serial(now, counts);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "queue counts");
      std::vector<std::string> serials;
      std::vector<uint64_t> tasks;
      for (auto& [serial, n] : counts) {
        serials.push_back(std::move(serial));
        tasks.push_back(n);
      }
      return {std::move(serials), std::move(tasks)};
    },
    [=](expire_atom, millis cutoff,
        uint32_t limit) -> caf::result<uint64_t, bool> {
      size_t removed = 0;
      bool more = false;
      auto e = timed(
        [&] { return self->state.db->expire(cutoff, limit, removed, more); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "retention");
      sync_later(self); // nobody waits for it: its fsync comes with others'
      return {static_cast<uint64_t>(removed), more};
    },
    [=](shutdown_atom) {
      // Every earlier message has been handled: nothing is left to write.
      sync_now(self);
      flush(self);
      self->quit();
      return ok_atom::value;
    },
  };
}

} // namespace tmx

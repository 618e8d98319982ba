#include "actors/store_writes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx::store_writes {

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

/// Hands the events written since the last time to the hub, and now and
/// then deletes the stored events that neither the hub's ring (after a
/// restart) nor a webhook's sender needs any more.
void flush(self_ptr self) {
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
void publish(self_ptr self) {
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
void sync_later(self_ptr self) {
  auto& st = self->state;
  if (st.sync_due || !st.db->unsynced())
    return;
  st.sync_due = true;
  self->send(self, sync_atom::value);
}

/// One fsync for every write since the last; then their replies and events.
void sync_now(self_ptr self) {
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

void when_durable(self_ptr self,
                  std::function<void(const caf::error&)> deliver) {
  auto& st = self->state;
  if (!st.db->unsynced()) {
    deliver(caf::error{});
    return;
  }
  st.unsynced_acks.push_back(std::move(deliver));
  sync_later(self);
}

caf::result<ok_atom> write_later(self_ptr self, store::task_write w,
                                 const char* what) {
  auto& st = self->state;
  bool firing = w.firing.has_value();
  st.writes.push_back(std::move(w));
  auto reply = self->make_response_promise<ok_atom>();
  st.waiting.push_back({reply, what, firing});
  if (!st.write_due) {
    st.write_due = true;
    self->send(self, create_atom::value);
  }
  return reply;
}

bool touches(const store_state& st, task_id id) {
  auto is_id = [id](const auto& x) { return x.id == id; };
  return std::any_of(st.writes.begin(), st.writes.end(), [&](const auto& w) {
    return std::any_of(w.tasks.begin(), w.tasks.end(), is_id)
           || std::any_of(w.logs.begin(), w.logs.end(), is_id);
  });
}

void settle(self_ptr self) {
  auto& st = self->state;
  if (st.writes.empty())
    return;
  auto writes = std::move(st.writes);
  auto waiting = std::move(st.waiting);
  st.writes.clear();
  st.waiting.clear();
  std::vector<store_errc> refused;
  auto e = timed([&] { return st.db->write_group(writes, refused); });
  for (size_t i = 0; i < waiting.size(); ++i) {
    auto& w = waiting[i];
    auto r = refused[i] != store_errc::ok ? refused[i] : e;
    if (r == store_errc::not_found && w.firing)
      w.reply.deliver(make_error(ec::not_found, "no such schedule"));
    else if (r != store_errc::ok)
      w.reply.deliver(failure(*st.db, r, w.what));
    else
      deliver_when_durable(self, w.reply, ok_atom::value);
  }
  publish(self);
}

} // namespace tmx::store_writes

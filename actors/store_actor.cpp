#include "actors/store_actor.hpp"

#include "actors/store_writes.hpp"

namespace tmx {

using namespace store_writes;

store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db, event_hub_actor hub) {
  self->state.db = std::move(db);
  self->state.hub = std::move(hub);
  self->state.next_trim = self->state.db->first_event_id() + kept_events;
  // With storage.sync the fsync is shared by the writes of a mailbox sweep.
  self->state.db->defer_sync(true);
  // The inserts and updates of a sweep are written together (create_atom);
  // every other message settles them first, so that it sees them.
  return {
    [=](create_atom, std::vector<task>& tasks,
        idempotency_record& key) -> caf::result<ok_atom> {
      store::task_write w;
      w.tasks = std::move(tasks);
      if (!key.key.empty())
        w.key = std::move(key);
      return write_later(self, std::move(w), "insert");
    },
    [=](create_atom, std::vector<task>& tasks, idempotency_record& key,
        schedule& firing) -> caf::result<ok_atom> {
      store::task_write w;
      w.tasks = std::move(tasks);
      if (!key.key.empty())
        w.key = std::move(key);
      w.firing = std::move(firing);
      return write_later(self, std::move(w), "insert of a schedule's tasks");
    },
    [=](create_atom) {
      self->state.write_due = false;
      settle(self);
    },
    [=](schedule_atom, schedule& s) -> caf::result<schedule> {
      settle(self);
      auto e = timed([&] { return self->state.db->put_schedule(s); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "schedule write");
      return acked(self, std::move(s));
    },
    [=](schedule_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      settle(self);
      auto e = timed([&] { return self->state.db->erase_schedule(id); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such schedule");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "schedule removal");
      return acked(self, ok_atom::value);
    },
    [=](update_atom, std::vector<task>& tasks,
        std::vector<task_log>& logs) -> caf::result<ok_atom> {
      store::task_write w;
      w.insert = false;
      w.tasks = std::move(tasks);
      w.logs = std::move(logs);
      return write_later(self, std::move(w), "update");
    },
    [=](log_atom, task_id id) -> caf::result<std::vector<log_line>> {
      settle(self);
      std::vector<log_line> lines;
      auto e = self->state.db->get_log(id, lines);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "log read");
      return lines;
    },
    [=](log_atom, task_id id,
        std::vector<log_line>& lines) -> caf::result<ok_atom> {
      store::task_write w;
      w.insert = false;
      w.logs.push_back(task_log{id, std::move(lines), true});
      return write_later(self, std::move(w), "log append");
    },
    [=](due_atom, millis from,
        millis until) -> caf::result<std::vector<due_entry>> {
      settle(self);
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
      settle(self);
      auto e = timed([&] { return self->state.db->put_account(a); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account write");
      return acked(self, ok_atom::value);
    },
    [=](account_atom, erase_atom,
        const std::string& username) -> caf::result<ok_atom> {
      settle(self);
      auto e = timed([&] { return self->state.db->erase_account(username); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such account");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account removal");
      return acked(self, ok_atom::value);
    },
    [=](erase_atom,
        const std::vector<task_id>& ids) -> caf::result<std::vector<task_id>> {
      settle(self);
      std::vector<task_id> erased;
      auto e = timed([&] { return self->state.db->erase(ids, erased); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "erase");
      publish(self);
      return acked(self, std::move(erased));
    },
    [=](get_atom, task_id id) -> caf::result<task> {
      // A task no waiting write touches is as stored: its reader (each
      // start reads one) does not cut the group short.
      if (touches(self->state, id))
        settle(self);
      task t;
      auto e = self->state.db->get(id, t);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "get");
      return t;
    },
    [=](list_atom, const task_filter& filter, uint32_t page,
        uint32_t page_size) -> caf::result<task_page> {
      settle(self);
      task_page out;
      auto e = self->state.db->list(filter, page, page_size, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "list");
      return out;
    },
    [=](stats_atom) {
      settle(self);
      return self->state.db->counts();
    },
    [=](failed_atom) -> caf::result<std::vector<task>> {
      settle(self);
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
      settle(self);
      idempotency_record out;
      auto e = self->state.db->find_idempotency(key, out);
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such idempotency key");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "idempotency lookup");
      return out;
    },
    [=](device_atom, const device_desc& dev) -> caf::result<ok_atom> {
      settle(self);
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
    [=](ready_atom) {
      settle(self);
      return self->state.db->write_failure();
    },
    [=](event_atom, std::vector<event>& events) {
      settle(self);
      auto e = timed(
        [&] { return self->state.db->append_events(std::move(events)); });
      if (e != store_errc::ok)
        failure(*self->state.db, e, "event write");
      sync_later(self);
      publish(self);
    },
    [=](event_atom, uint64_t after,
        uint32_t limit) -> caf::result<std::vector<event>> {
      settle(self);
      std::vector<event> out;
      auto e = self->state.db->read_events(after, limit, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "event read");
      return out;
    },
    [=](webhook_atom, webhook& w) -> caf::result<webhook> {
      settle(self);
      if (w.id == 0) // new: it gets the events written after this one
        w.cursor = self->state.db->last_event_id();
      auto e = timed([&] { return self->state.db->put_webhook(w); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook write");
      return acked(self, std::move(w));
    },
    [=](webhook_atom) -> caf::result<std::vector<webhook>> {
      settle(self);
      std::vector<webhook> out;
      auto e = self->state.db->webhooks(out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook read");
      return out;
    },
    [=](webhook_atom, erase_atom, uint64_t id) -> caf::result<ok_atom> {
      settle(self);
      auto e = timed([&] { return self->state.db->erase_webhook(id); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such webhook");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook removal");
      return acked(self, ok_atom::value);
    },
    [=](webhook_atom, cursor_atom, uint64_t id,
        uint64_t cursor) -> caf::result<ok_atom> {
      settle(self);
      auto e = timed(
        [&] { return self->state.db->set_webhook_cursor(id, cursor); });
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such webhook");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "webhook cursor write");
      return acked(self, ok_atom::value);
    },
    [=](group_atom, const device_group& g) -> caf::result<ok_atom> {
      settle(self);
      auto e = timed([&] { return self->state.db->put_group(g); });
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "group write");
      return acked(self, ok_atom::value);
    },
    [=](group_atom, erase_atom,
        const std::string& name) -> caf::result<ok_atom> {
      settle(self);
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
      settle(self);
      std::vector<queued_entry> out;
      auto e = self->state.db->queued(serial, after, limit, out);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "queue read");
      return out;
    },
    [=](queue_atom, millis now)
      -> caf::result<std::vector<std::string>, std::vector<uint64_t>> {
      settle(self);
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
      settle(self);
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
      settle(self);
      // Every earlier message has been handled: nothing is left to write.
      sync_now(self);
      flush(self);
      self->quit();
      return ok_atom::value;
    },
  };
}

} // namespace tmx

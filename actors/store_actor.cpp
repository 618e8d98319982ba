#include "actors/store_actor.hpp"

#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

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

} // namespace

store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db) {
  self->state.db = std::move(db);
  return {
    [=](create_atom, const std::vector<task>& tasks,
        const idempotency_record& key) -> caf::result<ok_atom> {
      auto e = self->state.db->insert(tasks, key.key.empty() ? nullptr : &key);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "insert");
      return ok_atom::value;
    },
    [=](update_atom, const std::vector<task>& tasks,
        const std::vector<task_log>& logs) -> caf::result<ok_atom> {
      auto e = self->state.db->update(tasks, logs);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "update");
      return ok_atom::value;
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
      auto e = self->state.db->update({},
                                      {task_log{id, std::move(lines), true}});
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "log append");
      return ok_atom::value;
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
      auto e = self->state.db->put_account(a);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account write");
      return ok_atom::value;
    },
    [=](account_atom, erase_atom,
        const std::string& username) -> caf::result<ok_atom> {
      auto e = self->state.db->erase_account(username);
      if (e == store_errc::not_found)
        return make_error(ec::not_found, "no such account");
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "account removal");
      return ok_atom::value;
    },
    [=](erase_atom,
        const std::vector<task_id>& ids) -> caf::result<std::vector<task_id>> {
      std::vector<task_id> erased;
      auto e = self->state.db->erase(ids, erased);
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "erase");
      return erased;
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
      auto e = self->state.db->add_device(dev.serial);
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
        e = self->state.db->put_account(a);
      }
      if (e != store_errc::ok)
        return failure(*self->state.db, e, "device registration");
      return ok_atom::value;
    },
    [=](ready_atom) { return self->state.db->write_failure(); },
    [=](shutdown_atom) {
      // Every earlier message has been handled: nothing is left to write.
      self->quit();
      return ok_atom::value;
    },
  };
}

} // namespace tmx

// The task manager's transitions: each computes the next state with
// model/transitions.hpp in the task's lane, writes it, and applies it to
// memory and devices only in the write's reply. A failed write changes
// nothing here, so memory stays what the store holds.
#include "actors/task_manager_ops.hpp"

#include "metrics/metrics.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tmx::manager {

namespace {

/// How long a run result that could not be stored waits before it is
/// written again (the task stays running, in memory as in the store).
constexpr auto result_retry = std::chrono::seconds(2);

/// How long a task whose start could not be stored waits before it is
/// queued again.
constexpr millis start_retry = 2000;

void log_failure(task_id id, const char* what, const caf::error& err) {
  spdlog::error("task {}: {} not stored: {}", id, what,
                to_api_error(err).message);
}

caf::error not_retryable(const task& t) {
  return make_error(ec::conflict, "task " + std::to_string(t.id) + " is "
                                    + std::string(status_text(t.status))
                                    + ", only a failed task can be retried");
}

} // namespace

void stop(manager_ptr self, task_id id, caf::typed_response_promise<task> rp) {
  with_task(self, id,
            [=](const task* current, const caf::error& err,
                std::function<void()> done) mutable {
              if (!current) {
                rp.deliver(err);
                return done();
              }
              if (!current->active()) {
                rp.deliver(*current); // stop is idempotent
                return done();
              }
              auto t = stopped(*current, self->state.clock());
              std::vector<task_log> logs;
              if (current->status == task_status::running)
                logs.push_back(end_log(t));
              write(
                self, {t}, std::move(logs),
                [=]() mutable {
                  withdraw(self, id, t.serial);
                  rp.deliver(t);
                  done();
                },
                [=](const caf::error& err) mutable {
                  log_failure(id, "stop", err);
                  rp.deliver(err);
                  done();
                });
            });
}

void retry(manager_ptr self, task_id id, caf::typed_response_promise<task> rp) {
  with_task(self, id,
            [=](const task* current, const caf::error& err,
                std::function<void()> done) mutable {
              if (!current) {
                rp.deliver(err);
                return done();
              }
              if (current->status != task_status::failed) {
                rp.deliver(not_retryable(*current));
                return done();
              }
              auto& st = self->state;
              auto t = retried(*current, st.next_queue_seq++, st.clock());
              write(
                self, {t}, {},
                [=]() mutable {
                  admit(self, t);
                  rp.deliver(t);
                  done();
                },
                [=](const caf::error& err) mutable {
                  rp.deliver(err);
                  done();
                });
            });
}

void retry_all(manager_ptr self, caf::typed_response_promise<uint64_t> rp) {
  auto db = self->state.db;
  self->request(db, request_timeout, failed_atom::value)
    .then(
      [=](std::vector<task>& seen) mutable {
        std::vector<task_id> ids;
        for (auto& t : seen)
          ids.push_back(t.id);
        std::sort(ids.begin(), ids.end());
        // Read again once every lane is ours: an operation that was under
        // way when the first read ran may have changed a task since.
        lock_all(self, ids, [=]() mutable {
          self->request(db, request_timeout, failed_atom::value)
            .then(
              [=](std::vector<task>& failed) mutable {
                auto& st = self->state;
                std::vector<task> batch;
                for (auto& t : failed)
                  if (std::binary_search(ids.begin(), ids.end(), t.id))
                    batch.push_back(
                      retried(t, st.next_queue_seq++, st.clock()));
                auto n = static_cast<uint64_t>(batch.size());
                if (batch.empty()) {
                  rp.deliver(n);
                  return unlock_all(self, ids);
                }
                write(
                  self, batch, {},
                  [=]() mutable {
                    for (auto& t : batch)
                      admit(self, t);
                    rp.deliver(n);
                    unlock_all(self, ids);
                  },
                  [=](const caf::error& err) mutable {
                    rp.deliver(err);
                    unlock_all(self, ids);
                  });
              },
              [=](caf::error& err) mutable {
                rp.deliver(err);
                unlock_all(self, ids);
              });
        });
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase(manager_ptr self, std::vector<task_id> ids,
           caf::typed_response_promise<std::vector<task_id>> rp) {
  lock_all(self, ids, [=]() mutable {
    self->request(self->state.db, request_timeout, erase_atom::value, ids)
      .then(
        [=](std::vector<task_id>& erased) mutable {
          for (auto id : erased)
            withdraw(self, id);
          rp.deliver(erased);
          unlock_all(self, ids);
        },
        [=](caf::error& err) mutable {
          rp.deliver(err);
          unlock_all(self, ids);
        });
  });
}

void start(manager_ptr self, task_id id, std::string serial, std::string node,
           caf::typed_response_promise<run_order> rp) {
  // Pending tasks live in the store: read as the lane is taken.
  with_task(self, id,
            [=](const task* current, const caf::error&,
                std::function<void()> done) mutable {
              auto& st = self->state;
              if (!current || current->status != task_status::pending
                  || current->serial != serial
                  || current->scheduled_at > st.clock()) {
                rp.deliver(make_error(ec::conflict, "task is not pending"));
                return done();
              }
              auto t = started(*current, node, st.clock());
              run_order order{t, serial,
                              run_timeout(t.script_name, t.script_config,
                                          st.timeout_scale)};
              write(
                self, {t}, {start_log(t)},
                [=]() mutable {
                  self->state.active[id] = t;
                  rp.deliver(order);
                  done();
                },
                [=](const caf::error& err) mutable {
                  // Still pending in the store, but its device has let go
                  // of it: back to its queue a little later.
                  log_failure(id, "start", err);
                  auto& st = self->state;
                  self->send(st.timer, due_atom::value, id,
                             st.clock() + start_retry);
                  rp.deliver(err);
                  done();
                });
            });
}

void finish(manager_ptr self, run_result r) {
  auto id = r.id;
  lock(self, id, [=]() mutable {
    auto& st = self->state;
    auto i = st.active.find(id);
    if (i == st.active.end() || i->second.status != task_status::running)
      return unlock(self, id); // stopped or deleted while it ran: settled
    auto now = st.clock();
    auto end = after_run(i->second, r, st.retry, now,
                         retry_delay(st.retry, st.rng), st.next_queue_seq);
    if (end.t.status == task_status::pending)
      ++st.next_queue_seq;
    auto script = i->second.script_name;
    auto seconds = static_cast<double>(now - i->second.started_at) / 1000;
    write(
      self, {end.t}, {end.log},
      [=]() mutable {
        // The run's result, whether or not it is retried automatically.
        metrics::observe_run(script, r.ok ? "completed" : "failed", seconds);
        self->state.active.erase(id);
        if (end.t.status == task_status::pending)
          admit(self, end.t);
        unlock(self, id);
      },
      [=](const caf::error& err) mutable {
        // Running here as in the store; the result is written again later
        // (a stop in between wins, and this one is then dropped).
        log_failure(id, "run result", err);
        unlock(self, id);
        self->delayed_send(self, result_retry, done_atom::value, r);
      });
  });
}

void wake(manager_ptr self, const std::vector<task_id>& ids) {
  for (auto id : ids)
    with_task(
      self, id,
      [=](const task* t, const caf::error&, std::function<void()> done) {
        auto& st = self->state;
        if (!t || t->status != task_status::pending
            || t->scheduled_at > st.clock())
          return done();
        // Due now: it joins the end of its queue, as a new task
        // would (a device may have read past its old place).
        auto moved = *t;
        moved.queue_seq = st.next_queue_seq++;
        write(
          self, {moved}, {},
          [=] {
            admit(self, moved);
            done();
          },
          [=](const caf::error& err) {
            log_failure(id, "queueing", err);
            auto& st = self->state;
            self->send(st.timer, due_atom::value, id, st.clock() + start_retry);
            done();
          });
      });
}

void append_lines(manager_ptr self, task_id id, std::vector<log_line> lines) {
  auto i = self->state.active.find(id);
  if (i == self->state.active.end() || i->second.status != task_status::running)
    return; // ended meanwhile: its log is closed
  self
    ->request(self->state.db, request_timeout, log_atom::value, id,
              std::move(lines))
    .then([](ok_atom) {},
          [=](caf::error& err) { log_failure(id, "live log", err); });
}

} // namespace tmx::manager

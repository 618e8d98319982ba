// How the store actor writes and acknowledges: grouped writes (the inserts
// and updates of one mailbox sweep in one store write), group commit of
// fsyncs (storage.sync) and the hand-over of written events to the hub.
// Private to the store actor (store_actor.cpp, store_writes.cpp).
#pragma once

#include "actors/store_actor.hpp"
#include "metrics/metrics.hpp"

#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>

namespace tmx::store_writes {

using self_ptr = store_actor::stateful_pointer<store_state>;

/// Turns a store result into the error a requester gets; storage details go
/// to the log only.
caf::error failure(const store& db, store_errc e, const char* what);

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
/// then trims the stored events.
void flush(self_ptr self);

/// After a write: its events go to the hub soon, with those of the writes
/// after it.
void publish(self_ptr self);

/// With storage.sync, asks itself for one fsync after every message now in
/// its mailbox: the writes of all of them share it (group commit).
void sync_later(self_ptr self);

/// One fsync for every write since the last; then their replies and events.
void sync_now(self_ptr self);

/// Delivers `deliver(err)` at once, or, when the write waits for an fsync
/// (storage.sync), once the next sync has made it durable (err: the
/// storage error if that fails). Never an acknowledgement before then.
void when_durable(self_ptr self,
                  std::function<void(const caf::error&)> deliver);

/// Delivers `value` through `promise` once the write is durable (the
/// storage error if that fails).
template <class T>
void deliver_when_durable(self_ptr self, caf::typed_response_promise<T> promise,
                          T value) {
  when_durable(self, [promise,
                      value = std::move(value)](const caf::error& err) mutable {
    if (err)
      promise.deliver(err);
    else
      promise.deliver(std::move(value));
  });
}

/// The reply to a write of its own: `value` at once or once durable.
template <class T>
caf::result<T> acked(self_ptr self, T value) {
  if (!self->state.db->unsynced())
    return value;
  auto promise = self->make_response_promise<T>();
  deliver_when_durable(self, promise, std::move(value));
  return promise;
}

/// Queues an insert or update to be written with the others of this
/// mailbox sweep; the reply comes once it is written (and durable).
caf::result<ok_atom> write_later(self_ptr self, store::task_write w,
                                 const char* what);

/// Whether a waiting insert or update changes task `id` or its log.
bool touches(const store_state& st, task_id id);

/// Writes the waiting inserts and updates now, in one store write, and
/// replies to each: before any other message is handled, so that every
/// read and every other write sees them.
void settle(self_ptr self);

} // namespace tmx::store_writes

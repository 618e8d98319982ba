// One webhook's sender: a thread of its own that reads the stored events
// after the webhook's cursor, POSTs each one the webhook wants, in order,
// retries it with back-off until it is delivered or 24 h old, and moves the
// durable cursor on behind it. Plain code, not an actor: it talks to the
// store and the hub through a scoped actor, and the keeper drives it
// through start/stop/attempts. Nothing it does waits on the keeper, the
// hub, the store actor's other clients or the API.
#pragma once

#include "actors/actors.hpp"
#include "actors/webhook_keeper.hpp"
#include "model/delivery_log.hpp"

#include <caf/fwd.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace tmx {

class webhook_client;

/// How a sender pages through the store and how often it stores its
/// cursor.
struct sender_pacing {
  uint32_t chunk = 256;                          // events per store read
  uint64_t cursor_every_events = 256;            // store the cursor after
  std::chrono::milliseconds cursor_every{200};   // ... or this long
  std::chrono::milliseconds store_timeout{5000}; // one store request
  std::chrono::milliseconds idle_check{15000};   // re-read while idle
};

/// Wakes the sender: the hub's sink notes new events, stop() notes the end.
struct sender_signal;

class webhook_sender {
public:
  /// `w` with its secret and its stored cursor.
  webhook_sender(caf::actor_system& sys, store_actor db, event_hub_actor hub,
                 webhook w, webhook_options opts, sender_pacing pacing = {});

  /// stop(), then join().
  ~webhook_sender();

  webhook_sender(const webhook_sender&) = delete;
  webhook_sender& operator=(const webhook_sender&) = delete;

  /// Starts the thread.
  void start();

  /// Ends the thread soon without waiting for it: a POST or a back-off
  /// under way is cut short. Any thread.
  void stop();

  /// Whether the thread has ended (join() then returns at once).
  bool finished() const { return finished_; }

  void join();

  /// The last 100 attempts, newest first. Any thread.
  std::vector<delivery_attempt> attempts() const;

private:
  void run();
  void subscribe(caf::scoped_actor& self);
  std::optional<std::vector<event>> read_after(caf::scoped_actor& self,
                                               uint64_t after);
  bool store_cursor(caf::scoped_actor& self, uint64_t cursor);
  /// False: stopped before the event was settled (delivered or given up).
  template <class BeforeWait>
  bool deliver(const event& e, BeforeWait before_wait);
  /// Waits `d` unless stopped first; false when stopped.
  bool pause(std::chrono::milliseconds d);
  /// Waits until the hub offers an event after `after`, or idle_check.
  void wait_for_events(uint64_t after);
  bool stopping() const;
  void record(delivery_attempt a);

  caf::actor_system& sys_;
  store_actor db_;
  event_hub_actor hub_;
  webhook hook_;
  webhook_options opts_;
  sender_pacing pacing_;
  std::shared_ptr<sender_signal> signal_;
  std::unique_ptr<webhook_client> client_; // null: the url cannot be used
  mutable std::mutex log_mutex_;
  delivery_log log_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

} // namespace tmx

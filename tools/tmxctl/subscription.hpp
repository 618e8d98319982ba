// A subscription to the server's event stream (GET /api/v1/events) on a
// thread of its own: it reconnects when the connection drops, resuming
// with Last-Event-ID after the last event it read, so that no event is
// lost or seen twice.
#pragma once

#include "tools/tmxctl/api.hpp"
#include "tools/tmxctl/sse.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tmxctl {

/// What a subscription tells its user; each is called on its thread.
struct subscription_handlers {
  /// A stream opened (the first time, or again after a loss).
  std::function<void()> opened;
  /// Each event, `event: reset` too; false ends the subscription.
  std::function<bool(const sse_event&)> event;
  /// The stream was lost or could not be opened (`why`); it is tried
  /// again in `retry_in` unless this returns false.
  std::function<bool(const std::string& why,
                     std::chrono::milliseconds retry_in)>
    lost;
};

/// How a subscription ended.
struct subscription_end {
  enum class reason {
    stopped, // stop() was called
    ended,   // the event handler said so
    refused, // the server answered with an error (`last.reply`)
    gave_up, // the lost handler said so (`last.reply` says why)
  };
  reason why = reason::stopped;
  stream_result last; // the last request's outcome
};

class event_subscription {
public:
  /// A silent stream is dropped after this long: the server sends a
  /// keep-alive comment every 15 s, so only a dead connection is silent.
  static constexpr double read_timeout_s = 45;

  /// `query`: "" or "?types=a,b"; `since`: resume after this event id
  /// ("": only the events from now on).
  event_subscription(api_client& api, std::string query,
                     std::string since = {});
  ~event_subscription();

  event_subscription(const event_subscription&) = delete;
  event_subscription& operator=(const event_subscription&) = delete;

  /// Starts reading on a new thread; at most once.
  void start(subscription_handlers handlers);

  /// Whether the subscription ended by itself (see stop() for how).
  bool finished() const { return finished_; }

  /// Ends the subscription, if it still runs, and says how it ended.
  /// After it, last_id() may be read.
  const subscription_end& stop();

  /// The id of the last event read ("" before any).
  const std::string& last_id() const { return parser_.last_id(); }

private:
  void run();
  /// Waits `span` or until stop(); false if stopped.
  bool pause(std::chrono::milliseconds span);

  api_client& api_;
  std::string query_;
  sse_parser parser_;
  subscription_handlers handlers_;
  subscription_end end_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

} // namespace tmxctl

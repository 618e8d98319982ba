// The reconnecting event-stream reader of tmxctl (see subscription.hpp).
#include "tools/tmxctl/subscription.hpp"

#include <algorithm>

namespace tmxctl {

namespace {

using std::chrono::milliseconds;

/// The first retry after a loss, unless the server asked for another
/// delay (`retry:`); each failed attempt doubles it, up to the longest.
constexpr milliseconds first_retry{500};
constexpr milliseconds longest_retry{10000};

/// How often stop() shuts the connection again while the thread has not
/// ended: a request that was still connecting the first time is caught
/// the next.
constexpr milliseconds stop_recheck{20};

} // namespace

event_subscription::event_subscription(api_client& api, std::string query,
                                       std::string since)
  : api_(api), query_(std::move(query)), parser_(std::move(since)) {
}

event_subscription::~event_subscription() {
  stop();
}

void event_subscription::start(subscription_handlers handlers) {
  if (thread_.joinable())
    return;
  handlers_ = std::move(handlers);
  thread_ = std::thread([this] {
    run();
    {
      std::lock_guard<std::mutex> guard{mutex_};
      finished_ = true;
    }
    wake_.notify_all();
  });
}

const subscription_end& event_subscription::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  while (thread_.joinable() && !finished_) {
    api_.stop_stream();
    std::unique_lock<std::mutex> lock{mutex_};
    wake_.wait_for(lock, stop_recheck, [this] { return finished_.load(); });
  }
  if (thread_.joinable())
    thread_.join();
  return end_;
}

bool event_subscription::pause(milliseconds span) {
  std::unique_lock<std::mutex> lock{mutex_};
  return !wake_.wait_for(lock, span, [this] { return stopping_.load(); });
}

void event_subscription::run() {
  auto retry = first_retry;
  for (;;) {
    if (stopping_) {
      end_.why = subscription_end::reason::stopped;
      return;
    }
    header_list headers;
    if (!parser_.last_id().empty())
      headers.emplace_back("Last-Event-ID", parser_.last_id());
    parser_.restart();
    bool opened = false, handler_ended = false;
    end_.last = api_.stream(
      "/events" + query_, headers, read_timeout_s,
      [&] {
        opened = true;
        if (handlers_.opened)
          handlers_.opened();
      },
      [&](std::string_view bytes) {
        if (stopping_)
          return false;
        for (auto& e : parser_.feed(bytes))
          if (handlers_.event && !handlers_.event(e)) {
            handler_ended = true;
            return false;
          }
        return true;
      });
    const auto& last = end_.last;
    if (handler_ended) {
      end_.why = subscription_end::reason::ended;
      return;
    }
    if (stopping_) {
      end_.why = subscription_end::reason::stopped;
      return;
    }
    // A 5xx (overloaded, shutting down) passes; any other answer stays.
    if (!last.streamed && last.status != 0 && last.status < 500) {
      end_.why = subscription_end::reason::refused;
      return;
    }
    if (opened) // a stream that worked: start again from the first delay
      retry = parser_.retry_ms() ? milliseconds(*parser_.retry_ms())
                                 : first_retry;
    auto why = last.streamed ? last.reply.message : last.reply.error();
    if (handlers_.lost && !handlers_.lost(why, retry)) {
      end_.why = subscription_end::reason::gave_up;
      return;
    }
    if (!pause(retry)) {
      end_.why = subscription_end::reason::stopped;
      return;
    }
    retry = std::min(retry * 2, longest_retry);
  }
}

} // namespace tmxctl

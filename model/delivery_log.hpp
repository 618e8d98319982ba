// The arithmetic of webhook retries and the bounded record of attempts
// that GET /api/v1/webhook/{id}/deliveries shows. Pure, single-threaded:
// the sender guards its log itself.
#pragma once

#include "model/webhook.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace tmx {

/// The wait after the next failed attempt: twice `current`, at most `max`.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       std::chrono::milliseconds max);

/// Whether an event that happened at `at` is no longer retried at `now`.
bool past_give_up(millis now, millis at, std::chrono::milliseconds give_up);

/// "24h", "90s", "250ms": a duration as the deliveries' errors say it.
std::string describe_duration(std::chrono::milliseconds d);

/// The last `capacity` attempts.
class delivery_log {
public:
  static constexpr size_t default_capacity = 100;

  explicit delivery_log(size_t capacity = default_capacity)
    : capacity_(capacity) {}

  void add(delivery_attempt a);

  std::vector<delivery_attempt> newest_first() const;

  size_t size() const { return attempts_.size(); }

private:
  size_t capacity_;
  std::deque<delivery_attempt> attempts_; // oldest first
};

} // namespace tmx

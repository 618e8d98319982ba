// Webhook retry arithmetic and the attempts' ring (see delivery_log.hpp).
#include "model/delivery_log.hpp"

namespace tmx {

std::chrono::milliseconds next_backoff(std::chrono::milliseconds current,
                                       std::chrono::milliseconds max) {
  if (current >= max / 2)
    return max;
  return current * 2;
}

bool past_give_up(millis now, millis at, std::chrono::milliseconds give_up) {
  return now - at >= static_cast<millis>(give_up.count());
}

std::string describe_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0 && ms > 0)
    return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms > 0)
    return std::to_string(ms / 60000) + "min";
  if (ms % 1000 == 0 && ms > 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

void delivery_log::add(delivery_attempt a) {
  if (capacity_ == 0)
    return;
  if (attempts_.size() == capacity_)
    attempts_.pop_front();
  attempts_.push_back(std::move(a));
}

std::vector<delivery_attempt> delivery_log::newest_first() const {
  return {attempts_.rbegin(), attempts_.rend()};
}

} // namespace tmx

// Waiting for a condition in a test: polled with a deadline, never a fixed
// sleep standing in for it.
#pragma once

#include <chrono>
#include <thread>

namespace tmx::test {

/// Polls `done` every `step` until it holds (true) or `limit` passed
/// (false).
template <class Predicate>
bool eventually(Predicate done,
                std::chrono::milliseconds limit = std::chrono::seconds(5),
                std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

} // namespace tmx::test

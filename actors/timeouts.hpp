// How long an actor waits for another one before it gives up. Every request
// has a timeout: CAF does not fail a request when the other side is gone.
#pragma once

#include <chrono>

namespace tmx {

constexpr auto request_timeout = std::chrono::seconds(10);

} // namespace tmx

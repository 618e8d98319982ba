// Ctrl-C handling of tmxctl (see interrupt.hpp).
#include "tools/tmxctl/interrupt.hpp"

#include <csignal>

namespace tmxctl {

namespace {

volatile std::sig_atomic_t interrupt_seen = 0;

extern "C" void on_interrupt(int) {
  interrupt_seen = 1;
}

} // namespace

void catch_interrupts() {
  interrupt_seen = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

bool interrupted() {
  return interrupt_seen != 0;
}

} // namespace tmxctl

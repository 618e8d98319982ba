// tmxctl watch: a refreshing view of the farm (task stats, running tasks,
// device states), polling the API until Ctrl-C or the asked refreshes.
#include "tools/tmxctl/commands.hpp"
#include "tools/tmxctl/views.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

namespace tmxctl {

namespace {

/// A list of running tasks shows at most this many.
constexpr int running_shown = 100;

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int) {
  interrupted = 1;
}

std::string clock_now() {
  auto now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

/// One refresh as text or JSON; false when a request failed (the frame
/// then says why).
bool render(live_context& c, const watch_options& o, std::string& frame) {
  std::vector<std::pair<std::string, std::string>> parts{
    {"stats", "/task/stats"},
    {"running", "/task?status=1&page_size=" + std::to_string(running_shown)},
    {"devices", "/device"}};
  std::vector<api_result> replies;
  std::ostringstream out;
  char every[32];
  std::snprintf(every, sizeof every, "every %gs", o.interval_s);
  if (!c.json)
    out << c.term.paint("tmx " + c.api.url() + "  " + clock_now() + "  " + every
                          + ", Ctrl-C to quit",
                        colour::bold)
        << '\n';
  for (auto& [name, path] : parts) {
    replies.push_back(c.api.get(path));
    if (!replies.back().ok()) {
      // A server restarting is worth watching through: say so, go on.
      auto error = replies.back().error();
      frame = c.json ? "{\"error\":" + json_quote(error) + "}\n"
                     : out.str() + c.term.paint(error, colour::red) + '\n';
      return false;
    }
  }
  const auto& running = replies[1].data();
  const auto& devices = field(replies[2].data(), "devices");
  if (c.json) {
    frame = "{\"stats\":" + json_text(replies[0].data()) + ",\"running\":"
            + json_text(running) + ",\"devices\":" + json_text(devices) + "}\n";
    return true;
  }
  table summary;
  summary.add({"tasks", stats_line(c.term, replies[0].data())});
  summary.add(
    {"devices", states_line(c.term, devices, {"busy", "online", "offline"})});
  summary.print(out, c.term);
  auto total = number(field(running, "total"));
  out << '\n'
      << c.term.paint("running " + std::to_string(total), colour::bold)
      << (total > running_shown
            ? " (newest " + std::to_string(running_shown) + " shown)"
            : "")
      << '\n';
  if (total > 0)
    print_tasks(out, c.term, field(running, "tasks"));
  out << '\n';
  print_devices(out, c.term, devices);
  frame = out.str();
  return true;
}

} // namespace

int run_watch(live_context& c, const watch_options& o) {
  interrupted = 0;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  // Only a terminal is redrawn in place; a pipe gets one frame after another.
  bool redraw = c.term.out_is_tty() && !c.json;
  auto interval = std::chrono::duration<double>(o.interval_s);
  int exit = exit_ok;
  for (uint32_t n = 1; interrupted == 0; ++n) {
    auto started = std::chrono::steady_clock::now();
    std::string frame;
    exit = render(c, o, frame) ? exit_ok : exit_failure;
    std::cout << (redraw ? "\x1b[H\x1b[2J" : "") << frame
              << (redraw || c.json ? "" : "\n") << std::flush;
    if (o.iterations != 0 && n >= o.iterations)
      return exit;
    while (interrupted == 0
           && std::chrono::steady_clock::now() - started < interval)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return exit_ok; // Ctrl-C is how a watch is meant to end
}

} // namespace tmxctl

// tmxctl watch: a refreshing view of the farm (task stats, running tasks,
// device states), redrawn when the server's event stream says something
// changed, or polled every --interval from a server without one, until
// Ctrl-C or the asked refreshes.
#include "tools/tmxctl/commands.hpp"
#include "tools/tmxctl/interrupt.hpp"
#include "tools/tmxctl/subscription.hpp"
#include "tools/tmxctl/views.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

namespace tmxctl {

namespace {

/// A list of running tasks shows at most this many.
constexpr int running_shown = 100;

using steady = std::chrono::steady_clock;

/// Events closer together than this make one redraw.
constexpr auto coalesce = std::chrono::milliseconds(200);

/// How often a wait looks for Ctrl-C.
constexpr auto interrupt_check = std::chrono::milliseconds(50);

std::string clock_now() {
  auto now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

/// One refresh as text or JSON; false when a request failed (the frame
/// then says why). `cadence` tells in the title when the next one comes.
bool render(live_context& c, const std::string& cadence, std::string& frame) {
  std::vector<std::pair<std::string, std::string>> parts{
    {"stats", "/task/stats"},
    {"running", "/task?status=1&page_size=" + std::to_string(running_shown)},
    {"devices", "/device"}};
  std::vector<api_result> replies;
  std::ostringstream out;
  if (!c.json)
    out << c.term.paint("tmx " + c.api.url() + "  " + clock_now() + "  "
                          + cadence + ", Ctrl-C to quit",
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

/// The frames drawn so far, and whether the asked number is reached.
class view {
public:
  view(live_context& c, const watch_options& o)
    : c_(c), o_(o), redraw_(c.term.out_is_tty() && !c.json) {}

  /// Draws one frame; true when it was the last one asked for.
  bool draw(const std::string& cadence) {
    std::string frame;
    exit_ = render(c_, cadence, frame) ? exit_ok : exit_failure;
    // Only a terminal is redrawn in place; a pipe gets one frame after
    // another.
    std::cout << (redraw_ ? "\x1b[H\x1b[2J" : "") << frame
              << (redraw_ || c_.json ? "" : "\n") << std::flush;
    return o_.iterations != 0 && ++drawn_ >= o_.iterations;
  }

  /// The exit code of the last frame.
  int exit() const { return exit_; }

  api_client& api() { return c_.api; }

private:
  live_context& c_;
  const watch_options& o_;
  bool redraw_;
  uint32_t drawn_ = 0;
  int exit_ = exit_ok;
};

/// Today's way, and that of a server without an event stream: a frame
/// every interval.
int poll(view& v, const watch_options& o) {
  char every[32];
  std::snprintf(every, sizeof every, "every %gs", o.interval_s);
  auto interval = std::chrono::duration<double>(o.interval_s);
  while (!interrupted()) {
    auto started = steady::now();
    if (v.draw(every))
      return v.exit();
    while (!interrupted() && steady::now() - started < interval)
      std::this_thread::sleep_for(interrupt_check);
  }
  return exit_ok; // Ctrl-C is how a watch is meant to end
}

/// Redraws when the event stream says something changed: after it opened
/// (so nothing between the frame and the subscription is missed), on
/// events, at most every `coalesce`, and when it was lost (the frame then
/// shows whether the server still answers). Nothing when the server has
/// no event stream: the caller polls then.
std::optional<int> follow_events(view& v) {
  std::mutex mutex;
  std::condition_variable changed;
  bool dirty = false;
  auto mark = [&] {
    {
      std::lock_guard<std::mutex> guard{mutex};
      dirty = true;
    }
    changed.notify_one();
  };
  event_subscription sub(v.api(), "");
  subscription_handlers h;
  h.opened = mark;
  h.event = [&](const sse_event&) {
    mark();
    return true;
  };
  h.lost = [&](const std::string&, std::chrono::milliseconds) {
    mark();
    return true; // a restarting server is worth watching through
  };
  sub.start(std::move(h));
  auto last_draw = steady::now() - coalesce;
  while (!interrupted()) {
    if (sub.finished()) // refused: no event stream, or no access to it
      return sub.stop().why == subscription_end::reason::refused
               ? std::nullopt
               : std::optional<int>(v.exit());
    std::unique_lock<std::mutex> lock{mutex};
    if (!changed.wait_for(lock, interrupt_check, [&] { return dirty; }))
      continue;
    if (steady::now() - last_draw < coalesce) {
      lock.unlock();
      std::this_thread::sleep_until(last_draw + coalesce);
      continue;
    }
    dirty = false;
    lock.unlock();
    last_draw = steady::now();
    if (v.draw("live"))
      return v.exit();
  }
  return exit_ok;
}

} // namespace

int run_watch(live_context& c, const watch_options& o) {
  catch_interrupts();
  view v(c, o);
  // One frame needs no stream.
  if (o.iterations != 1)
    if (auto exit = follow_events(v))
      return *exit;
  return poll(v, o);
}

} // namespace tmxctl

// tmxctl events: the server's event stream, one line per event (or, with
// --json, each event's data object), reconnecting after a lost connection
// without losing or repeating events, until Ctrl-C or --count events.
#include "tools/tmxctl/commands.hpp"
#include "tools/tmxctl/interrupt.hpp"
#include "tools/tmxctl/subscription.hpp"
#include "tools/tmxctl/views.hpp"

#include <cstdio>
#include <iostream>

namespace tmxctl {

namespace {

/// How often the main thread looks for Ctrl-C and the stream's end.
constexpr auto interrupt_check = std::chrono::milliseconds(50);

std::string in_seconds(std::chrono::milliseconds span) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs",
                static_cast<double>(span.count()) / 1000);
  return buf;
}

/// "?types=a,b", or "" for every type.
std::string types_query(const std::vector<std::string>& types) {
  std::string out;
  for (auto& t : types)
    out += (out.empty() ? "?types=" : ",") + url_encode(t);
  return out;
}

/// Prints what the stream brings; runs on the subscription's thread.
class event_printer {
public:
  event_printer(live_context& c, const events_options& o) : c_(c), o_(o) {}

  subscription_handlers handlers(const event_subscription& sub) {
    subscription_handlers h;
    h.opened = [this, &sub] {
      resumed_after_ = sub.last_id();
      if (connected_)
        c_.term.note("reconnected to " + c_.api.url()
                     + (resumed_after_.empty()
                          ? std::string()
                          : ", resuming after event " + resumed_after_));
      connected_ = true;
    };
    h.event = [this](const sse_event& e) { return print(e); };
    h.lost = [this](const std::string& why, std::chrono::milliseconds retry) {
      if (!connected_)
        return false; // never connected: fail as every other command does
      c_.term.note(why + "; reconnecting in " + in_seconds(retry));
      return true;
    };
    return h;
  }

private:
  bool print(const sse_event& e) {
    if (e.type == "reset") {
      c_.term.note("the server no longer holds every event after "
                   + resumed_after_
                   + ": some were missed; going on with the live stream");
      return true;
    }
    rapidjson::Document data;
    data.Parse(e.data.data(), e.data.size());
    if (data.HasParseError() || !data.IsObject()) {
      c_.term.note("event " + e.id + " is no JSON object: skipped");
      return true;
    }
    // Re-written, so that each event is one line whatever the server sent.
    std::cout << (c_.json ? json_text(data) : event_line(c_.term, data))
              << std::endl;
    return o_.count == 0 || ++printed_ < o_.count;
  }

  live_context& c_;
  const events_options& o_;
  bool connected_ = false;
  std::string resumed_after_; // the Last-Event-ID of this connection
  uint64_t printed_ = 0;
};

} // namespace

int run_events(live_context& c, const events_options& o) {
  catch_interrupts();
  event_subscription sub(c.api, types_query(o.types),
                         o.since ? std::to_string(*o.since) : std::string());
  event_printer printer(c, o);
  sub.start(printer.handlers(sub));
  while (!interrupted() && !sub.finished())
    std::this_thread::sleep_for(interrupt_check);
  const auto& end = sub.stop();
  using reason = subscription_end::reason;
  if (end.why == reason::stopped || end.why == reason::ended)
    return exit_ok; // Ctrl-C, or --count events printed
  auto error = end.last.reply.error();
  if (end.last.status == 404)
    error += " (this server has no event stream: it is older than tmxctl)";
  c.term.error("events: " + error);
  return exit_failure;
}

} // namespace tmxctl

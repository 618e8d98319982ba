// tmxctl watch: one frame (--once), frames redrawn on the server's events
// (--iterations, Ctrl-C), and polling every --interval when the server is
// older than the event stream.
#include "tests/tmxctl/fake_server.hpp"
#include "tests/tmxctl/fixtures.hpp"

#include <algorithm>
#include <sstream>
#include <string>

using namespace tmx::test;

namespace {

/// Frames drawn in `out`: each one begins with its title line.
size_t frames_in(const std::string& out, const std::string& url) {
  size_t n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    n += line.rfind("tmx " + url, 0) == 0 ? 1 : 0;
  return n;
}

/// Lines in `out`, the last one complete.
size_t complete_lines(const std::string& out) {
  return static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
}

} // namespace

BOOST_FIXTURE_TEST_CASE(watch_refreshes_then_stops, busy_server) {
  auto running = create({"sim-0001"});
  BOOST_REQUIRE(wait_until([&] { return status_of(running[0]) == 1; }, 10s));
  auto r = ctl({"watch", "--once"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(contains(r.lines()[0], "tmx " + url()));
  BOOST_TEST(contains(r.line_with("tasks"), "9 total"), r.out);
  BOOST_TEST(contains(r.line_with("running"), "running"));
  BOOST_TEST(contains(r.line_with("SERIAL    NODE"), "STATE"), r.out);
  BOOST_TEST(contains(r.line_with("sim-0004 "), "online"));
  BOOST_TEST(r.out.find("\x1b[2J") == std::string::npos); // not a terminal

  // The first frame comes once the event stream is open; a new task's
  // events bring the second.
  bool created = false;
  auto j = tmxctl({"--url", url(), "watch", "--iterations", "2", "--json"}, {},
                  [&](const std::string& out) {
                    if (!created && complete_lines(out) >= 1) {
                      create({"sim-0002"});
                      created = true;
                    }
                    return false;
                  });
  BOOST_TEST(j.exit == 0, j.err);
  auto frames = j.lines();
  BOOST_REQUIRE_EQUAL(frames.size(), 2u);
  for (size_t i = 0; i < frames.size(); ++i) {
    auto doc = parse_json(frames[i]);
    BOOST_TEST(int_of(member(member(doc, "stats"), "total")) == 9 + int(i));
    BOOST_TEST(member(doc, "devices").IsArray());
    BOOST_TEST(member(member(doc, "running"), "tasks").IsArray());
  }

  // Without a count it runs until Ctrl-C, and ends well then: interrupted
  // once it has drawn three frames, each after a change.
  size_t changed_for = 0;
  auto endless = tmxctl({"--url", url(), "watch"}, {},
                        [&](const std::string& out) {
                          auto n = frames_in(out, url());
                          if (n > changed_for && n < 3) {
                            create({"sim-0003"});
                            changed_for = n;
                          }
                          return n >= 3;
                        });
  BOOST_TEST(endless.exit == 0, endless.err);
  BOOST_TEST(frames_in(endless.out, url()) >= 3u, endless.out);
  BOOST_TEST(contains(endless.lines()[0], "live, Ctrl-C to quit"));
  BOOST_TEST(endless.lines().size() > 10u);
}

BOOST_AUTO_TEST_CASE(watch_polls_a_server_without_events) {
  fake_server older;
  older.act_as_older_server();
  older.start();
  auto r = tmxctl(
    {"--url", older.url(), "watch", "--iterations", "3", "--interval", "0.1"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(frames_in(r.out, older.url()) == 3u, r.out);
  BOOST_TEST(contains(r.lines()[0], "every 0.1s, Ctrl-C to quit"));
  BOOST_TEST(contains(r.line_with("tasks"), "0 total"), r.out);
  BOOST_TEST(older.last_event_ids().size() == 1u); // asked once, then polled
  BOOST_TEST(r.err.empty(), r.err);
}

// Black-box tests of GET /api/v1/events (CONTRACT.md "Events") against a
// real tmx-server: every task transition in order with its payload,
// resumption without loss or duplicates (across a restart too), reset,
// the types filter, device and node events, keep-alive, a client that
// never reads, and a clean end at shutdown.
#define BOOST_TEST_MODULE events
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"
#include "tests/sse_client.hpp"

#include <map>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

struct seen {
  uint64_t id = 0;
  std::string event; // the SSE event field
  std::string type;
  uint64_t task = 0;
  int status = -1;
  std::string subject; // serial or node name for device and node events
};

std::vector<seen> seen_of(const sse_client& c) {
  std::vector<seen> out;
  for (auto& [event, id, data] : c.messages()) {
    seen s;
    s.event = event;
    s.id = id.empty() ? 0 : std::stoull(id);
    auto doc = parse_json(data);
    s.type = text_of(member(doc, "type"));
    const auto& t = member(doc, "task");
    s.task = id_of(member(t, "id"));
    s.status = static_cast<int>(int_of(member(t, "status")));
    s.subject = text_of(member(member(doc, "device"), "serial"))
                + text_of(member(member(doc, "node"), "name"));
    BOOST_TEST((event == "reset" || !text_of(member(doc, "at")).empty()));
    out.push_back(std::move(s));
  }
  return out;
}

/// The types of the events of task `id`, in the order they arrived.
std::vector<std::string> types_of(const std::vector<seen>& events,
                                  uint64_t id) {
  std::vector<std::string> out;
  for (auto& e : events)
    if (e.task == id)
      out.push_back(e.type);
  return out;
}

bool has_type(const sse_client& c, uint64_t task, const std::string& type) {
  for (auto& e : seen_of(c))
    if (e.task == task && e.type == type)
      return true;
  return false;
}

void check_contiguous(const std::vector<seen>& events) {
  for (size_t i = 1; i < events.size(); ++i)
    BOOST_TEST(events[i].id == events[i - 1].id + 1);
}

std::vector<std::string> hundred_serials() {
  std::vector<std::string> out;
  for (int d = 1; d <= 100; ++d) {
    auto n = std::to_string(d);
    out.push_back("sim-" + std::string(4 - n.size(), '0') + n);
  }
  return out;
}

const options quick{{"sim.devices", "2"}, {"sim.task-duration", "150ms"}};

} // namespace

BOOST_AUTO_TEST_CASE(every_transition_arrives_in_order_with_its_task) {
  api_server srv(quick);
  sse_client c(srv.port());
  BOOST_REQUIRE(wait_until([&] { return c.status() == 200; }, 10s));
  auto done = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(
    wait_until([&] { return has_type(c, done, "task.completed"); }, 20s));
  // A task that waits behind a long one is stopped while pending; one that
  // runs is stopped while running; the failed one is retried, runs again,
  // and is deleted at the end.
  auto later_one = create_one(srv, task_body(serials({"sim-0002"}), "post",
                                             "{}", later));
  acted(srv, later_one, "stop");
  acted(srv, later_one, "retry");
  BOOST_REQUIRE(wait_until(
    [&] {
      auto t = types_of(seen_of(c), later_one);
      return t.size() >= 3;
    },
    10s));
  BOOST_TEST(srv.del(task_path(later_one)).code() == 0);
  BOOST_REQUIRE(
    wait_until([&] { return has_type(c, later_one, "task.deleted"); }, 10s));
  auto events = seen_of(c);
  check_contiguous(events);
  BOOST_TEST((types_of(events, done)
              == std::vector<std::string>{"task.created", "task.started",
                                          "task.completed"}));
  BOOST_TEST((types_of(events, later_one)
              == std::vector<std::string>{"task.created", "task.failed",
                                          "task.retried", "task.deleted"}));
  std::map<std::string, int> status_of_type{{"task.created", 0},
                                            {"task.started", 1},
                                            {"task.completed", 2},
                                            {"task.failed", 3},
                                            {"task.retried", 0}};
  for (auto& e : events) {
    if (e.task == 0)
      continue;
    BOOST_TEST(e.event == "task");
    if (status_of_type.count(e.type))
      BOOST_TEST(e.status == status_of_type[e.type], e.type);
  }
  // The deleted task's event holds its last state: pending (it was
  // retried, due in 2090).
  BOOST_TEST(events.back().type == "task.deleted");
  BOOST_TEST(events.back().status == 0);
}

BOOST_AUTO_TEST_CASE(a_resumed_stream_loses_nothing_and_repeats_nothing) {
  api_server srv(quick);
  auto first_ids = create(srv, task_body(serials({"sim-0001", "sim-0002"}),
                                         "post", "{}", later));
  uint64_t last = 0;
  {
    sse_client c(srv.port(), "", "0");
    BOOST_REQUIRE(c.wait_for(1));
    BOOST_REQUIRE(wait_until(
      [&] {
        auto e = seen_of(c);
        return !e.empty() && types_of(e, first_ids.back()).size() == 1;
      },
      10s));
    auto events = seen_of(c);
    check_contiguous(events);
    BOOST_TEST(events.front().id == 1u);
    last = events.back().id;
  }
  // Missed while disconnected, and across a restart.
  auto missed = create(srv,
                       task_body(serials({"sim-0001"}), "post", "{}", later));
  srv.restart();
  auto after_restart = create(srv, task_body(serials({"sim-0002"}), "post",
                                             "{}", later));
  sse_client again(srv.port(), "", std::to_string(last));
  BOOST_REQUIRE(wait_until(
    [&] { return has_type(again, after_restart.front(), "task.created"); },
    10s));
  auto events = seen_of(again);
  BOOST_REQUIRE(!events.empty());
  BOOST_TEST(events.front().id == last + 1);
  check_contiguous(events);
  BOOST_TEST(types_of(events, missed.front()).size() == 1u);
  BOOST_TEST(types_of(events, first_ids.front()).empty());
  // The restart told of its node and devices again.
  bool node_online = false;
  for (auto& e : events)
    node_online = node_online
                  || (e.type == "node.online" && e.event == "node"
                      && e.subject == "local");
  BOOST_TEST(node_online);
}

BOOST_AUTO_TEST_CASE(device_and_node_events_are_held_from_start_up) {
  api_server srv(quick);
  sse_client c(srv.port(), "", "0");
  BOOST_REQUIRE(wait_until(
    [&] {
      int devices = 0;
      for (auto& e : seen_of(c))
        devices += e.type == "device.updated" && e.event == "device";
      return devices >= 2;
    },
    10s));
  std::vector<std::string> serials_seen;
  for (auto& e : seen_of(c))
    if (e.type == "device.updated")
      serials_seen.push_back(e.subject);
  std::sort(serials_seen.begin(), serials_seen.end());
  BOOST_TEST(
    (serials_seen == std::vector<std::string>{"sim-0001", "sim-0002"}));
}

BOOST_AUTO_TEST_CASE(types_filter_and_bad_queries) {
  api_server srv(quick);
  sse_client only(srv.port(), "?types=task.completed,task.failed");
  BOOST_REQUIRE(wait_until([&] { return only.status() == 200; }, 10s));
  auto ok = create_one(srv, task_body(serials({"sim-0001"})));
  auto stopped = create_one(srv, task_body(serials({"sim-0002"}), "post", "{}",
                                           later));
  acted(srv, stopped, "stop");
  BOOST_REQUIRE(only.wait_for(2));
  auto events = seen_of(only);
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  std::map<uint64_t, std::string> got;
  for (auto& e : events)
    got[e.task] = e.type;
  BOOST_TEST(got[ok] == "task.completed");
  BOOST_TEST(got[stopped] == "task.failed");

  auto bad = srv.get("/api/v1/events?types=task.done");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.code() == 40001);
  BOOST_TEST(bad.message().find("types") != std::string::npos);
  auto bad_id = http_request(srv.port(), "GET", "/api/v1/events", {},
                             {{"Last-Event-ID", "abc"}});
  BOOST_TEST(bad_id.code() == 40001);
  BOOST_TEST(bad_id.message().find("Last-Event-ID") != std::string::npos);
  BOOST_TEST(srv.post("/api/v1/events").status == 405);
}

BOOST_AUTO_TEST_CASE(an_id_no_longer_held_gets_a_reset_then_the_live_stream) {
  api_server srv(options{{"sim.devices", "100"}});
  // 10 100 created events: the first ones are no longer held. The tasks
  // wait (due in 2090).
  auto many = hundred_serials();
  for (int i = 0; i < 101; ++i) {
    auto r = srv.post("/api/v1/task",
                      task_body(serials(many), "post", "{}", later));
    BOOST_REQUIRE_MESSAGE(r.code() == 0, "create failed: " + r.text);
  }
  auto stats = srv.get("/api/v1/task/stats");
  auto total = int_of(member(stats.data(), "total"));
  BOOST_TEST_MESSAGE("tasks created: " << total);
  BOOST_REQUIRE(total > 10000);
  // Once a live client has seen a task created after them, the hub holds
  // every one of them (it publishes in order): event 1 has left its ring.
  {
    sse_client live(srv.port());
    BOOST_REQUIRE(wait_until([&] { return live.status() == 200; }, 10s));
    auto marker = create_one(srv, task_body(serials({"sim-0001"}), "post", "{}",
                                            later));
    BOOST_REQUIRE(
      wait_until([&] { return has_type(live, marker, "task.created"); }, 30s));
  }
  sse_client old(srv.port(), "", "1");
  BOOST_REQUIRE(old.wait_for(1, 30s));
  BOOST_TEST(std::get<0>(old.messages().front()) == "reset");
  auto live = create_one(srv,
                         task_body(serials({"sim-0001"}), "post", "{}", later));
  BOOST_REQUIRE(
    wait_until([&] { return has_type(old, live, "task.created"); }, 10s));
  // A future id (another data directory) is no resume point either.
  sse_client future(srv.port(), "", "99999999");
  BOOST_REQUIRE(future.wait_for(1));
  BOOST_TEST(std::get<0>(future.messages().front()) == "reset");
}

BOOST_AUTO_TEST_CASE(an_idle_stream_gets_keep_alives_and_stays_open) {
  api_server srv(quick);
  sse_client c(srv.port());
  // Two keep-alives: the stream outlives the server's request timeout (20 s).
  BOOST_REQUIRE(wait_until([&] { return c.comments() >= 2; }, 35s));
  BOOST_TEST(!c.ended());
  auto id = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_TEST(wait_until([&] { return has_type(c, id, "task.created"); }, 10s));
}

BOOST_AUTO_TEST_CASE(streams_end_cleanly_at_shutdown) {
  api_server srv(quick);
  sse_client a(srv.port());
  sse_client b(srv.port(), "?types=task.failed");
  BOOST_REQUIRE(
    wait_until([&] { return a.status() == 200 && b.status() == 200; }, 10s));
  auto start = steady::now();
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(wait_until([&] { return a.ended() && b.ended(); }, 5s));
  BOOST_TEST(a.ended_cleanly());
  BOOST_TEST(b.ended_cleanly());
  BOOST_TEST_MESSAGE("shutdown took "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                          steady::now() - start)
                          .count()
                     << " ms");
}

namespace {

/// A client that asks for the stream and then never reads.
struct stalled_client {
  int fd = -1;

  explicit stalled_client(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr)
                  == 0);
    std::string req = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    BOOST_REQUIRE(::send(fd, req.data(), req.size(), 0)
                  == static_cast<ssize_t>(req.size()));
  }

  ~stalled_client() { ::close(fd); }

  /// Reads everything the server sent; true once it closed the connection
  /// within `deadline`.
  bool closed_by_server(steady::duration deadline) {
    timeval tv{0, 200000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[65536];
    auto end = steady::now() + deadline;
    while (steady::now() < end) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0)
        return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return true; // reset: closed as well
    }
    return false;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_is_cut_off_and_nothing_waits) {
  api_server srv(options{{"sim.devices", "100"},
                         {"events.max-unsent", "50"},
                         {"http.idle-timeout", "2s"}});
  stalled_client stalled(srv.port());
  sse_client reader(srv.port()); // a reading client beside it
  BOOST_REQUIRE(wait_until([&] { return reader.status() == 200; }, 10s));
  auto many = hundred_serials();
  steady::duration slowest{};
  int requests = 0;
  while (srv.log().find("cut off") == std::string::npos && requests < 300) {
    auto t0 = steady::now();
    auto r = srv.post("/api/v1/task",
                      task_body(serials(many), "post", "{}", later));
    slowest = std::max(slowest, steady::now() - t0);
    BOOST_REQUIRE_MESSAGE(r.code() == 0, "create failed: " + r.text);
    ++requests;
  }
  BOOST_TEST_MESSAGE(
    requests
    << " creates of 100 tasks until the cut; the "
       "slowest took "
    << std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()
    << " ms");
  BOOST_REQUIRE(srv.log().find("cut off") != std::string::npos);
  // Nothing waited for the stalled client: every create answered well
  // within the request timeout, and the reading client has every event.
  BOOST_TEST((slowest < std::chrono::seconds(5)));
  BOOST_TEST(reader.wait_for(static_cast<size_t>(requests) * 100, 30s));
  // Its connection is closed (the write time limit), so it holds nothing.
  BOOST_TEST(stalled.closed_by_server(15s));
}

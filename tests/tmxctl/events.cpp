// tmxctl events: a real server's events (live, --since, --types, --json
// and lines), resuming across a server restart, and against a fake that
// cuts the stream off midway: no event lost or repeated, `reset` noted.
#include "tests/tmxctl/fake_server.hpp"
#include "tests/tmxctl/fixtures.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

/// The data object of a task event of task 7 on sim-0001.
std::string task_data(const std::string& type, int status,
                      const std::string& status_text) {
  return R"({"type":")" + type
         + R"(","at":"2026-12-01T10:00:00.000+00:00","task":{"id":7,)"
         + R"("status":)" + std::to_string(status) + R"(,"status_text":")"
         + status_text
         + R"(","serial":"sim-0001","username":null,"script_name":"post",)"
         + R"("remark":""}})";
}

const std::string device_data
  = R"({"type":"device.updated","at":"2026-12-01T10:00:01.000+00:00",)"
    R"("device":{"serial":"sim-0002","state":"offline",)"
    R"("state_reason":"unauthorized","running_task_id":null}})";

/// Two connections: the first cut off inside event 3, the second (which
/// must resume after 2) with event 3 again, a reset and event 9.
std::vector<fake_server::stream_script> cut_stream() {
  auto started = task_data("task.started", 1, "running");
  auto completed = task_data("task.completed", 2, "completed");
  auto half = completed.find(",\"task\"") + 1; // between two members
  return {{{"retry: 100\n\n", "id: 1\nevent: ta",
            "sk\ndata: " + task_data("task.created", 0, "pending") + "\n", "\n",
            ": keep-alive\n\n",
            "id: 2\r\nevent: task\r\ndata: " + started + "\r\n\r\n",
            "id: 3\nevent: task\ndata: " + completed.substr(0, half)},
           true},
          {{"id: 3\nevent: task\ndata: " + completed.substr(0, half) + "\n",
            "data: " + completed.substr(half) + "\n\n",
            "event: reset\ndata: {}\n\n",
            "id: 9\nevent: device\ndata: " + device_data + "\n\n"},
           false}};
}

std::vector<std::string> types_of(const result& r) {
  std::vector<std::string> out;
  for (auto& line : r.lines())
    out.push_back(text_of(member(parse_json(line), "type")));
  return out;
}

/// tmx_events_subscribers of the server's /metrics (-1 without it).
int subscribers(const live_server& s) {
  auto text = "\n" + s.get("/metrics").text;
  const std::string name = "\ntmx_events_subscribers ";
  auto at = text.find(name);
  return at == std::string::npos ? -1
                                 : std::atoi(text.c_str() + at + name.size());
}

} // namespace

BOOST_AUTO_TEST_CASE(events_resume_after_a_cut_without_loss_or_repeat) {
  fake_server fake;
  fake.stream_events(cut_stream());
  fake.start();
  auto r = tmxctl({"--url", fake.url(), "events", "--json", "--count", "4"});
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_TEST(types_of(r)
               == (std::vector<std::string>{"task.created", "task.started",
                                            "task.completed",
                                            "device.updated"}),
             r.out);
  // Multi-line data comes out as one line of the same JSON.
  BOOST_TEST(r.lines()[2] == task_data("task.completed", 2, "completed"));
  BOOST_TEST(fake.last_event_ids() == (std::vector<std::string>{"", "2"}));
  BOOST_TEST(contains(r.err, "reconnecting in 0.1s"), r.err);
  BOOST_TEST(contains(r.err, "resuming after event 2"), r.err);
  BOOST_TEST(contains(r.err, "no longer holds every event after 2"), r.err);

  fake_server again;
  again.stream_events(cut_stream());
  again.start();
  auto lines = tmxctl({"--url", again.url(), "events", "--count", "4"});
  BOOST_TEST(lines.exit == 0, lines.err);
  BOOST_REQUIRE_EQUAL(lines.lines().size(), 4u);
  BOOST_TEST(lines.lines()[0]
               == "2026-12-01 10:00:00.000  task.created    task 7  pending  "
                  "sim-0001  post",
             lines.out);
  BOOST_TEST(lines.lines()[3]
               == "2026-12-01 10:00:01.000  device.updated  device sim-0002  "
                  "offline  unauthorized",
             lines.out);
}

BOOST_FIXTURE_TEST_CASE(events_of_a_task_as_they_happen, live_server) {
  auto before = subscribers(*this);
  BOOST_REQUIRE_MESSAGE(before >= 0, "no tmx_events_subscribers in /metrics");
  ids task;
  auto r = tmxctl({"--url", url(), "events", "--json", "--count", "3",
                   "--types", "task.created,task.started,task.completed"},
                  {}, [&](const std::string&) {
                    if (task.empty() && subscribers(*this) > before)
                      task = create({"sim-0001"}); // once it listens
                    return false;
                  });
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_REQUIRE(!task.empty());
  BOOST_TEST(types_of(r)
               == (std::vector<std::string>{"task.created", "task.started",
                                            "task.completed"}),
             r.out);
  int status = 0;
  for (auto& line : r.lines()) {
    auto data = parse_json(line);
    BOOST_TEST(id_of(member(member(data, "task"), "id")) == task[0]);
    BOOST_TEST(int_of(member(member(data, "task"), "status")) == status++);
    BOOST_TEST(member(data, "at").IsString());
  }

  // Ctrl-C ends it well: sent once it has printed the held events up to
  // the task's end (so its handler is in place).
  auto endless = tmxctl({"--url", url(), "events", "--since", "0"}, {},
                        [&](const std::string& out) {
                          return contains(out, "task.completed");
                        });
  BOOST_TEST(endless.exit == 0, endless.err);
  BOOST_TEST(contains(endless.out, "task.completed  task "), endless.out);
}

BOOST_FIXTURE_TEST_CASE(events_since_an_id_filtered_by_type, live_server) {
  auto done = create({"sim-0001"});
  auto stopped = create({"sim-0002"}, later);
  require_status(done, 2);
  BOOST_REQUIRE(post("/api/v1" + path_of(stopped[0], "stop")).code() == 0);

  auto failed = ctl({"events", "--json", "--since", "0", "--types",
                     "task.failed", "--count", "1"});
  BOOST_TEST(failed.exit == 0, failed.err);
  BOOST_REQUIRE_EQUAL(failed.lines().size(), 1u);
  auto data = parse_json(failed.lines()[0]);
  BOOST_TEST(text_of(member(data, "type")) == "task.failed");
  BOOST_TEST(id_of(member(member(data, "task"), "id")) == stopped[0]);

  auto line = ctl(
    {"events", "--since", "0", "--types", "task.completed", "--count", "1"});
  BOOST_TEST(line.exit == 0, line.err);
  BOOST_TEST(contains(line.out, "  task.completed  task "
                                  + std::to_string(done[0])
                                  + "  completed  sim-0001  "),
             line.out);
  BOOST_TEST(contains(line.out, "  post"), line.out);

  auto bogus = ctl({"events", "--types", "task.bogus"});
  BOOST_TEST(bogus.exit == 1);
  BOOST_TEST(contains(bogus.err, "error 40001: "), bogus.err);
  BOOST_TEST(contains(bogus.err, "task.bogus"), bogus.err);
}

BOOST_FIXTURE_TEST_CASE(events_resume_across_a_server_restart, live_server) {
  auto first = create({"sim-0001"});
  require_status(first, 2);
  ids second;
  auto r = tmxctl({"--url", url(), "events", "--json", "--since", "0",
                   "--types", "task.completed", "--count", "2"},
                  {}, [&](const std::string& out) {
                    if (second.empty() && contains(out, "\n")) {
                      restart(); // same port and data; tmxctl reconnects
                      second = create({"sim-0002"});
                    }
                    return false;
                  });
  BOOST_TEST(r.exit == 0, r.err);
  BOOST_REQUIRE(!second.empty());
  BOOST_REQUIRE_EQUAL(r.lines().size(), 2u);
  std::vector<uint64_t> got;
  for (auto& line : r.lines())
    got.push_back(id_of(member(member(parse_json(line), "task"), "id")));
  BOOST_TEST(got == (std::vector<uint64_t>{first[0], second[0]}));
  BOOST_TEST(contains(r.err, "reconnected"), r.err);
}

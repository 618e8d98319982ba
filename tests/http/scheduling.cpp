// HTTP API tests of start_time and of intervals between the tasks of one
// create.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace tmx::test;

namespace {

/// The server's zone is UTC whatever the machine's.
const options in_utc{{"tmx.timezone", "UTC"}};

} // namespace

// -- scheduling ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(start_time_clock_is_the_next_occurrence) {
  api_server srv(in_utc);
  constexpr int64_t minute = 60 * 1000;
  constexpr int64_t day = 24 * 60 * minute;
  auto this_minute = now_ms() / minute * minute;
  // (HH:MM, the instant it must resolve to): still ahead today (or just
  // after midnight), and just passed today, hence tomorrow.
  std::vector<std::pair<std::string, int64_t>> cases;
  for (auto due : {this_minute + 3 * minute, this_minute - 2 * minute + day})
    cases.emplace_back(iso_at(due).substr(11, 5), due);
  ids made;
  for (auto& [clock, due] : cases)
    BOOST_TEST_CONTEXT("start_time " << clock) {
      auto id = create_one(srv, task_body(serials({"sim-0001"}), "post", "{}",
                                          start_time(clock)));
      made.push_back(id);
      auto t = task_of(srv, id);
      BOOST_TEST(text_of(member(t.data(), "scheduled_at")) == iso_at(due));
      BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    }
  // Not due: they stay out of the device queue while other work runs.
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued")) == 0);
  auto now = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(srv, now, 2));
  for (auto id : made) {
    auto t = task_of(srv, id);
    BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    BOOST_TEST(member(t.data(), "started_at").IsNull());
  }
  BOOST_TEST(int_of(member(device_named(srv, "sim-0001"), "queued")) == 0);
  auto pending = list(srv, "?status=0");
  BOOST_TEST(count(pending, "total") == 2);
}

BOOST_AUTO_TEST_CASE(start_time_instant_runs_at_it) {
  api_server srv(in_utc);
  auto ahead = now_ms() + 2000;
  auto past = now_ms() - 3600 * 1000;
  // Given in other zones than the server's; scheduled_at comes in its own.
  auto due_ahead = [&](const std::string& serial) {
    return create_one(srv, task_body(serials({serial}), "post", "{}",
                                     start_time(iso_at(ahead, 120))));
  };
  auto soon = due_ahead("sim-0001");
  auto early = due_ahead("sim-0003");  // stopped and retried before it
  auto missed = due_ahead("sim-0004"); // stopped, retried after it
  auto seen = srv.get(task_path(soon));
  if (now_ms() < ahead) { // the answer came before the due time
    BOOST_TEST(int_of(member(seen.data(), "status")) == 0);
  }
  BOOST_TEST(text_of(member(seen.data(), "scheduled_at")) == iso_at(ahead));
  acted(srv, early, "stop");
  acted(srv, missed, "stop");
  auto retried = acted(srv, early, "retry");
  if (now_ms() < ahead) {
    BOOST_TEST(ms_of(retried, "scheduled_at") == ahead);
  }
  auto overdue = create_one(srv, task_body(serials({"sim-0002"}), "post", "{}",
                                           start_time(iso_at(past, -210))));
  // Due in the past: runs at once, well before the others are due.
  BOOST_REQUIRE(reaches(srv, overdue, 2));
  auto o = task_of(srv, overdue);
  BOOST_TEST(ms_of(o, "started_at") < ahead);
  auto completed = [](auto& t) { return int_of(member(t, "status")) == 2; };
  for (auto id : {soon, early})
    BOOST_TEST_CONTEXT("task " << id) {
      auto s = task_when(srv, id, completed);
      BOOST_TEST(ms_of(s, "started_at") >= ahead);
      // "within a second of its due time", with room for a loaded machine
      BOOST_TEST(ms_of(s, "started_at") <= ahead + 5000);
    }
  BOOST_TEST(ms_of(task_of(srv, soon), "scheduled_at") == ahead);
  // A retry after the due time runs at once.
  auto retried_at = now_ms();
  acted(srv, missed, "retry");
  auto m = task_when(srv, missed, completed);
  BOOST_TEST(ms_of(m, "started_at") >= retried_at - 1);
  BOOST_TEST(ms_of(m, "started_at") <= retried_at + 5000);
}

BOOST_AUTO_TEST_CASE(intervals_stagger_the_tasks) {
  api_server srv(in_utc);
  constexpr int64_t minute = 60 * 1000;
  struct interval_case {
    std::string body;
    std::vector<std::string> order; // serial/target of each task, in order
    int64_t base;                   // due time of the first; 0: created_at
    std::set<int64_t> gaps;         // allowed gaps between two tasks, in ms
  };
  // Serials in the order given, not sorted; follow: each device's targets.
  auto three = serials({"sim-0003", "sim-0001", "sim-0002"});
  std::vector<std::string> three_order{"sim-0003/", "sim-0001/", "sim-0002/"};
  auto post = [&](const std::string& extra) {
    return task_body(three, "post", "{}", extra);
  };
  auto base = ms_of(parse_json(R"("2090-01-01T00:00:00.000+00:00")"));
  std::vector<interval_case> cases{
    {post(later + R"(,"min_interval":1,"max_interval":1)"),
     three_order,
     base,
     {minute}},
    {post(R"("min_interval":1,"max_interval":1)"), three_order, 0, {minute}},
    {post(later + R"(,"min_interval":0,"max_interval":2)"),
     three_order,
     base,
     {0, minute, 2 * minute}},
    {post(later + R"(,"min_interval":0,"max_interval":0)"),
     three_order,
     base,
     {0}},
    {task_body(serials({"sim-0002", "sim-0001"}), "follow",
               R"({"target_users":["u2","u1"]})",
               later + R"(,"min_interval":1,"max_interval":1)"),
     {"sim-0002/u2", "sim-0002/u1", "sim-0001/u2", "sim-0001/u1"},
     base,
     {minute}},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      auto made = create(srv, c.body);
      BOOST_REQUIRE_EQUAL(made.size(), c.order.size());
      std::vector<reply> tasks;
      std::vector<std::string> order;
      for (auto id : made) {
        tasks.push_back(task_of(srv, id));
        auto& t = tasks.back().data();
        auto& targets = member(member(t, "script_config"), "target_users");
        order.push_back(text_of(member(t, "serial")) + "/"
                        + (targets.IsArray() && targets.Size() > 0
                             ? text_of(targets[0])
                             : ""));
      }
      BOOST_TEST(order == c.order);
      auto previous = c.base != 0 ? c.base : ms_of(tasks[0], "created_at");
      // The first is due at the base time: null for "now".
      auto& first = member(tasks[0].data(), "scheduled_at");
      BOOST_TEST((c.base != 0 ? ms_of(first) == c.base
                              : (first.IsNull() || ms_of(first) <= previous)),
                 to_json(first));
      for (size_t i = 1; i < tasks.size(); ++i) {
        auto due = ms_of(tasks[i], "scheduled_at");
        BOOST_TEST(c.gaps.count(due - previous) == 1u,
                   "task " << i << " due " << due - previous
                           << " ms after the one before");
        previous = due;
      }
      for (auto id : made)
        acted(srv, id, "stop");
    }
}

BOOST_FIXTURE_TEST_CASE(schedule_errors_store_nothing, api_server) {
  auto one = serials({"sim-0001"});
  std::vector<error_case> cases;
  for (auto [extra, names] : std::vector<std::pair<std::string, std::string>>{
         {R"("min_interval":2,"max_interval":1)", "min_interval"},
         {R"("min_interval":1)", "min_interval"},
         {R"("max_interval":-1)", "max_interval"},
         {R"("min_interval":"1","max_interval":2)", "min_interval"},
         {R"("min_interval":0.5,"max_interval":2)", "min_interval"},
         {R"("max_interval":true)", "max_interval"},
         {start_time("24:00"), "start_time"},
         {start_time("12:60"), "start_time"},
         {start_time("1200"), "start_time"},
         {start_time("12:5"), "start_time"},
         {start_time("noon"), "start_time"},
         {start_time("2090-01-01T00:00:00"), "start_time"},
         {start_time("2090-02-30T00:00:00+00:00"), "start_time"},
         {start_time("2090-01-01T00:00:00+0100"), "start_time"},
         {R"("start_time":1230)", "start_time"},
       })
    cases.push_back(bad_create(task_body(one, "post", "{}", extra), names));
  check_errors(*this, cases);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

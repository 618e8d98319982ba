// HTTP API tests of the task list, stats, deletes, stop and retry.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>
#include <vector>

using namespace tmx::test;

// -- list, stats ------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(list_filters_and_paging, mixed_tasks) {
  struct list_case {
    std::string query;
    ids expected; // in the order listed
    int64_t total;
  };
  auto a1 = a[0], a2 = a[1], a3 = a[2];
  auto b1 = b[0], b2 = b[1];
  ids all{c1, b2, b1, a3, a2, a1};
  std::vector<list_case> cases{
    {"", all, 6},
    {"?status=0", {b2, b1, a3, a2}, 4},
    {"?status=1", {}, 0},
    {"?status=2", {c1}, 1},
    {"?status=3", {a1}, 1},
    {"?serial=sim-0001", {a3, a2, a1}, 3},
    {"?serial=sim-0002", {b1}, 1},
    {"?serial=sim-9999", {}, 0},
    {"?script_name=account_warmup", {b2, b1}, 2},
    {"?script_name=follow", {c1}, 1},
    {"?script_name=nothing", {}, 0},
    {"?source=ui", {b2, b1}, 2},
    {"?source=api", {c1, a3, a2, a1}, 4},
    {"?status=0&serial=sim-0001", {a3, a2}, 2},
    {"?source=ui&serial=sim-0004", {b2}, 1},
    {"?page_size=2", {c1, b2}, 6},
    {"?page_size=2&page=2", {b1, a3}, 6},
    {"?page=2&page_size=4", {a2, a1}, 6},
    {"?page=3&page_size=5", {}, 6},
    {"?page_size=100&colour=blue", all, 6},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT("GET /api/v1/task" << c.query) {
      auto r = list(*this, c.query);
      BOOST_TEST(listed_ids(r) == c.expected);
      BOOST_TEST(count(r, "total") == c.total);
      BOOST_TEST(r.data().MemberCount() == 4u);
    }
  auto r = list(*this, "?page=2&page_size=4");
  BOOST_TEST(count(r, "page") == 2);
  BOOST_TEST(count(r, "page_size") == 4);
  r = list(*this);
  BOOST_TEST(count(r, "page") == 1);
  BOOST_TEST(count(r, "page_size") == 20);
  for (auto id : b)
    BOOST_TEST(text_of(member(task_of(*this, id).data(), "source")) == "ui");
}

BOOST_FIXTURE_TEST_CASE(stats_are_exact, mixed_tasks) {
  auto stats = stats_matching_list(*this);
  BOOST_TEST(count(stats, "total") == 6);
  BOOST_TEST(count(stats, "pending") == 4);
  BOOST_TEST(count(stats, "running") == 0);
  BOOST_TEST(count(stats, "completed") == 1);
  BOOST_TEST(count(stats, "failed") == 1);
}

BOOST_FIXTURE_TEST_CASE(list_query_errors, api_server) {
  std::vector<error_case> cases;
  for (std::string query :
       {"page_size=0", "page_size=101", "page_size=abc", "page_size=", "page=0",
        "page=abc", "page=-1", "status=7", "status=-1", "status=abc",
        "status=", "source=web"})
    cases.push_back({"GET", "/api/v1/task?" + query, "", 400, 40001,
                     query.substr(0, query.find('='))});
  check_errors(*this, cases);
}

// -- delete -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(delete_one_task, api_server) {
  auto body = task_body(serials({"sim-0001"}), "post", "{}", later);
  auto first = create_one(*this, body);
  auto second = create_one(*this, body);
  auto r = del(task_path(second));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 1);
  BOOST_TEST(r.data().MemberCount() == 1u);
  check_error(get(task_path(second)), 404, 40401);
  check_error(del(task_path(second)), 404, 40401);
  // Ids are never reused, not even the newest after its delete.
  BOOST_TEST(create_one(*this, body) > second);
  BOOST_TEST(status_of(*this, first) == 0);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 2);
}

BOOST_FIXTURE_TEST_CASE(batch_delete, api_server) {
  auto made = create(*this,
                     task_body(serials({"sim-0001", "sim-0002", "sim-0003"}),
                               "post", "{}", later));
  auto r = del("/api/v1/task/batch",
               batch_body({made[0], made[1], made[0], 999999}));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 2);
  BOOST_TEST(ids_of(member(r.data(), "not_found")) == ids{999999});
  check_error(get(task_path(made[0])), 404, 40401);
  check_error(get(task_path(made[1])), 404, 40401);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 1);
  // 1000 ids are allowed, 1001 are not.
  ids thousand{made[2]};
  for (uint64_t id = 1000001; thousand.size() < 1000; ++id)
    thousand.push_back(id);
  auto too_many = thousand;
  too_many.push_back(2000001);
  std::vector<error_case> cases;
  for (auto body : {batch_body(too_many), std::string("{}"), batch_body({}),
                    std::string(R"({"task_ids":"1"})"),
                    std::string(R"({"task_ids":["a"]})"),
                    std::string(R"({"task_ids":[-1]})"), std::string("[1,2]"),
                    std::string("not json"), std::string("")})
    cases.push_back({"DELETE", "/api/v1/task/batch", body, 400, 40001, ""});
  check_errors(*this, cases);
  BOOST_TEST(status_of(*this, made[2]) == 0);
  r = del("/api/v1/task/batch", batch_body(thousand));
  check_ok(r);
  BOOST_TEST(count(r, "deleted_count") == 1);
  BOOST_TEST(ids_of(member(r.data(), "not_found")).size() == 999u);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

// -- stop, retry --------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(stop_pending_then_retry, api_server) {
  auto id = create_one(*this,
                       task_body(serials({"sim-0001"}), "post", "{}", later));
  check_error(action(*this, id, "retry"), 409, 40901);
  auto stopped = acted(*this, id, "stop");
  auto& t = stopped.data();
  BOOST_TEST(int_of(member(t, "status")) == 3);
  BOOST_TEST(text_of(member(t, "remark")) == "stopped by user");
  BOOST_TEST(member(t, "started_at").IsNull());
  BOOST_TEST(member(t, "finished_at").IsNull());
  // Stop is idempotent.
  BOOST_TEST(to_json(acted(*this, id, "stop").data()) == to_json(t));
  BOOST_TEST(to_json(task_of(*this, id).data()) == to_json(t));
  auto retried = acted(*this, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "status")) == 0);
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(retried.data(), "remark")) == "");
  BOOST_TEST(to_json(task_of(*this, id).data()) == to_json(retried.data()));
  check_error(action(*this, id, "retry"), 409, 40901);
}

BOOST_FIXTURE_TEST_CASE(stop_completed_changes_nothing, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(*this, id, 2));
  auto before = to_json(task_of(*this, id).data());
  BOOST_TEST(to_json(acted(*this, id, "stop").data()) == before);
  BOOST_TEST(to_json(task_of(*this, id).data()) == before);
  check_error(action(*this, id, "retry"), 409, 40901);
}

BOOST_FIXTURE_TEST_CASE(retry_all_retries_only_failed, api_server) {
  auto waiting = create(*this,
                        task_body(serials({"sim-0001", "sim-0002", "sim-0003"}),
                                  "post", "{}", later));
  auto done = create_one(*this, task_body(serials({"sim-0004"})));
  BOOST_REQUIRE(reaches(*this, done, 2));
  auto pending = create_one(*this, task_body(serials({"sim-0004"}), "post",
                                             "{}", later));
  for (auto id : waiting)
    acted(*this, id, "stop");
  auto r = post("/api/v1/task/retry-all");
  check_ok(r);
  BOOST_TEST(count(r, "retried_count") == 3);
  for (auto id : waiting) {
    auto t = task_of(*this, id);
    BOOST_TEST(int_of(member(t.data(), "status")) == 0);
    BOOST_TEST(int_of(member(t.data(), "retry_count")) == 1);
  }
  BOOST_TEST(status_of(*this, done) == 2);
  BOOST_TEST(int_of(member(task_of(*this, pending).data(), "retry_count"))
             == 0);
  r = post("/api/v1/task/retry-all");
  check_ok(r);
  BOOST_TEST(count(r, "retried_count") == 0);
}

BOOST_AUTO_TEST_CASE(failed_run_is_retried_and_runs_again) {
  api_server srv(options{{"sim.failure-rate", "1"}});
  auto id = create_one(srv, task_body(serials({"sim-0001"})));
  BOOST_REQUIRE(reaches(srv, id, 3));
  auto failed = task_of(srv, id);
  BOOST_TEST(text_of(member(failed.data(), "remark")) == "simulated failure");
  auto retried = acted(srv, id, "retry");
  BOOST_TEST(int_of(member(retried.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(retried.data(), "remark")) == "");
  // The timestamps of the last run stay until the next run starts.
  auto first_start = text_of(member(failed.data(), "started_at"));
  BOOST_TEST(text_of(member(retried.data(), "started_at")) == first_start);
  BOOST_REQUIRE(wait_until(
    [&] {
      auto t = srv.get(task_path(id));
      return int_of(member(t.data(), "status")) == 3
             && text_of(member(t.data(), "started_at")) != first_start;
    },
    15s));
  auto again = task_of(srv, id);
  BOOST_TEST(int_of(member(again.data(), "retry_count")) == 1);
  BOOST_TEST(text_of(member(again.data(), "remark")) == "simulated failure");
}

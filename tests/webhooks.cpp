// Black-box tests of the webhooks (CONTRACT.md "Webhooks") against a real
// tmx-server and receivers of the test's own: signed, ordered, filtered
// deliveries; retries and the record of attempts; at-least-once across a
// SIGKILL; a hanging receiver that slows no one; validation and removal.
#define BOOST_TEST_MODULE webhooks
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"
#include "tests/webhook_receiver.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

const std::string secret = "s3cret-for-the-tests!";

std::string webhook_body(const std::string& url, const std::string& extra = "",
                         const std::string& key = secret) {
  return "{\"url\":\"" + url + "\",\"secret\":\"" + key + "\""
         + (extra.empty() ? "" : "," + extra) + "}";
}

/// Registers a webhook (checking the reply) and returns its id.
uint64_t add_webhook(const server_process& srv, const std::string& url,
                     const std::string& extra = "",
                     const std::string& key = secret) {
  auto r = srv.post("/api/v1/webhook", webhook_body(url, extra, key));
  check_ok(r);
  BOOST_TEST(r.text.find(key) == std::string::npos, "secret in the reply");
  BOOST_TEST(r.data().MemberCount() == 4u, r.text);
  BOOST_TEST(text_of(member(r.data(), "url")) == url);
  BOOST_TEST(is_time(member(r.data(), "created_at")));
  auto id = id_of(member(r.data(), "id"));
  BOOST_REQUIRE(id > 0);
  return id;
}

std::string hook_path(uint64_t id, const std::string& tail = "") {
  return "/api/v1/webhook/" + std::to_string(id) + tail;
}

/// The attempts of GET .../deliveries, oldest first.
std::vector<rapidjson::Document> attempts_of(const server_process& srv,
                                             uint64_t id) {
  auto r = srv.get(hook_path(id, "/deliveries"));
  check_ok(r);
  std::vector<rapidjson::Document> out;
  auto& list = member(r.data(), "deliveries");
  BOOST_REQUIRE(list.IsArray());
  for (auto& a : list.GetArray()) {
    rapidjson::Document d;
    d.CopyFrom(a, d.GetAllocator());
    out.push_back(std::move(d));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

/// The types each task's accepted events had, in the order received
/// (a repeat of an event already seen, after a restart, counts once).
std::map<uint64_t, std::vector<std::string>>
types_per_task(const std::vector<delivery>& got) {
  std::map<uint64_t, std::vector<std::string>> out;
  uint64_t last = 0;
  for (auto& d : got) {
    if (d.id <= last)
      continue;
    last = d.id;
    out[d.task()].push_back(d.type());
  }
  return out;
}

/// Whether `rx` accepted created, started and completed of every task.
bool ran_through(const webhook_receiver& rx, const ids& tasks) {
  auto per_task = types_per_task(rx.accepted());
  return std::all_of(tasks.begin(), tasks.end(),
                     [&](uint64_t t) { return per_task[t].size() >= 3; });
}

ids webhook_ids(const reply& r) {
  ids out;
  auto& list = member(r.data(), "webhooks");
  if (list.IsArray())
    for (auto& w : list.GetArray())
      out.push_back(id_of(member(w, "id")));
  return out;
}

const std::vector<std::string> run_events{"task.created", "task.started",
                                          "task.completed"};

ids create_on(const server_process& srv,
              const std::vector<std::string>& names) {
  ids out;
  for (auto& serial : names)
    out.push_back(create_one(srv, task_body(serials({serial}))));
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(delivers_every_event_signed_in_order, api_server) {
  webhook_receiver every, completed;
  add_webhook(*this, every.url());
  std::string other = "another-secret-of-16+";
  add_webhook(*this, completed.url("/done?from=tmx"),
              R"("events":["task.completed"])", other);
  auto tasks = create_on(*this, {"sim-0001", "sim-0002", "sim-0003"});
  BOOST_REQUIRE(wait_until(
    [&] {
      return every.accepted().size() >= 9 && completed.accepted().size() >= 3;
    },
    30s));
  auto got = every.all();
  BOOST_TEST(got.size() == 9u);
  uint64_t last = 0;
  for (auto& d : got) {
    BOOST_TEST_CONTEXT("delivery " << d.id << ": " << d.body) {
      BOOST_TEST(d.id > last); // one sender, in order, each event once
      last = d.id;
      BOOST_TEST(d.path == "/hook");
      BOOST_TEST(d.content_type.find("application/json") == 0);
      BOOST_TEST(d.event == d.type());
      BOOST_TEST(d.signature == expected_signature(secret, d.body));
      BOOST_TEST(is_time(member(parse_json(d.body), "at")));
      BOOST_TEST(std::count(tasks.begin(), tasks.end(), d.task()) == 1);
    }
  }
  for (auto& [task, types] : types_per_task(got))
    BOOST_TEST(types == run_events, "task " << task);
  // The filter: only task.completed, the same event ids, its own secret.
  std::vector<uint64_t> completed_ids;
  for (auto& d : got)
    if (d.event == "task.completed")
      completed_ids.push_back(d.id);
  auto done = completed.all();
  BOOST_REQUIRE(done.size() == 3u);
  for (size_t i = 0; i < done.size(); ++i) {
    BOOST_TEST(done[i].event == "task.completed");
    BOOST_TEST(done[i].path == "/done?from=tmx");
    BOOST_TEST(done[i].id == completed_ids[i]);
    BOOST_TEST(done[i].signature == expected_signature(other, done[i].body));
  }
}

BOOST_FIXTURE_TEST_CASE(failed_posts_are_retried_with_backoff, api_server) {
  webhook_receiver flaky;
  flaky.answer_next({500, 500});
  auto id = add_webhook(*this, flaky.url());
  auto dead = add_webhook(*this,
                          "http://127.0.0.1:" + std::to_string(free_port())
                            + "/nobody-listens");
  create_on(*this, {"sim-0001"});
  BOOST_REQUIRE(wait_until([&] { return flaky.accepted().size() >= 3; }, 30s));
  auto got = flaky.all();
  BOOST_REQUIRE(got.size() == 5u);
  // The first event three times (500, 500, 200); the later ones waited.
  BOOST_TEST(got[0].id == got[1].id);
  BOOST_TEST(got[1].id == got[2].id);
  BOOST_TEST(got[2].answered == 200);
  BOOST_TEST(got[0].type() == "task.created");
  BOOST_TEST(got[3].id > got[2].id);
  BOOST_TEST(got[4].id > got[3].id);
  // 1 s, then 2 s between the attempts (lower bounds only).
  BOOST_TEST((got[1].at - got[0].at >= 900ms));
  BOOST_TEST((got[2].at - got[1].at >= 1900ms));
  for (auto& [task, types] : types_per_task(flaky.accepted()))
    BOOST_TEST(types == run_events, "task " << task);

  BOOST_REQUIRE(
    wait_until([&] { return attempts_of(*this, id).size() == 5; }, 10s));
  auto attempts = attempts_of(*this, id);
  std::vector<std::tuple<uint64_t, int64_t, int64_t, std::string>> seen;
  for (auto& a : attempts) {
    BOOST_TEST(a.MemberCount() == 6u);
    BOOST_TEST(is_time(member(a, "at")));
    seen.emplace_back(id_of(member(a, "event_id")),
                      int_of(member(a, "attempt")), int_of(member(a, "status")),
                      text_of(member(a, "error")));
  }
  auto first = got[0].id;
  BOOST_TEST((seen[0] == std::make_tuple(first, 1, 500, "HTTP 500")));
  BOOST_TEST((seen[1] == std::make_tuple(first, 2, 500, "HTTP 500")));
  BOOST_TEST((seen[2] == std::make_tuple(first, 3, 200, "")));
  BOOST_TEST((seen[3] == std::make_tuple(got[3].id, 1, 200, "")));
  BOOST_TEST(text_of(member(attempts[0], "type")) == "task.created");

  // No receiver at all: no HTTP status (null), and why.
  BOOST_REQUIRE(
    wait_until([&] { return !attempts_of(*this, dead).empty(); }, 10s));
  auto refusals = attempts_of(*this, dead);
  auto& refused = refusals.front();
  BOOST_TEST(member(refused, "status").IsNull());
  BOOST_TEST(int_of(member(refused, "attempt")) == 1);
  BOOST_TEST(!text_of(member(refused, "error")).empty());
}

BOOST_FIXTURE_TEST_CASE(undelivered_events_survive_sigkill, api_server) {
  webhook_receiver down;
  down.answer(503);
  auto id = add_webhook(*this, down.url());
  auto tasks = create_on(*this, {"sim-0001", "sim-0002"});
  for (auto t : tasks)
    BOOST_REQUIRE(reaches(*this, t, 2));
  BOOST_REQUIRE(wait_until([&] { return !down.all().empty(); }, 10s));
  kill(); // the events are stored; not one was delivered
  BOOST_TEST(down.accepted().empty());
  down.answer(200);
  require_start();
  BOOST_REQUIRE(wait_until([&] { return ran_through(down, tasks); }, 30s));
  auto per_task = types_per_task(down.accepted());
  for (auto t : tasks)
    BOOST_TEST(per_task[t] == run_events, "task " << t);
  for (auto& d : down.accepted())
    BOOST_TEST(d.signature == expected_signature(secret, d.body));
  // The registration survived too, still without its secret.
  auto listed = get("/api/v1/webhook");
  check_ok(listed);
  BOOST_TEST(listed.text.find(secret) == std::string::npos);
  BOOST_TEST(webhook_ids(listed) == ids{id});
}

BOOST_FIXTURE_TEST_CASE(hanging_receiver_slows_no_one, api_server) {
  webhook_receiver stuck, fine;
  stuck.hang(true);
  auto slow = add_webhook(*this, stuck.url());
  add_webhook(*this, fine.url());
  ids tasks;
  for (auto serial : {"sim-0001", "sim-0002", "sim-0003"}) {
    auto t0 = steady::now();
    tasks.push_back(create_one(*this, task_body(serials({serial}))));
    // Generous: a create that waited for the stuck POST would take 10 s.
    BOOST_TEST((steady::now() - t0 < 5s), "a create waited for a webhook");
  }
  BOOST_REQUIRE(wait_until([&] { return stuck.hanging() == 1; }, 10s));
  // Well within the stuck POST's 10 s: the other receiver does not wait.
  BOOST_TEST(wait_until([&] { return ran_through(fine, tasks); }, 8s));
  BOOST_TEST(stuck.hanging() == 1); // still the first event, in order
  // Removing it cuts its POST short instead of waiting for it.
  auto t0 = steady::now();
  check_ok(del(hook_path(slow)));
  BOOST_TEST((steady::now() - t0 < 5s));
  // So does a shutdown, with another POST held and one still connecting.
  full_backlog unreachable;
  add_webhook(*this, stuck.url("/again"));
  add_webhook(*this, unreachable.url());
  create_on(*this, {"sim-0004"});
  BOOST_REQUIRE(wait_until([&] { return stuck.hanging() == 2; }, 10s));
  t0 = steady::now();
  BOOST_TEST(terminate() == 0);
  BOOST_TEST((steady::now() - t0 < 8s), "shutdown waited for a webhook POST");
}

BOOST_FIXTURE_TEST_CASE(registration_is_validated, api_server) {
  auto bad = [](const std::string& body, const std::string& names) {
    return error_case{"POST", "/api/v1/webhook", body, 400, 40001, names};
  };
  auto with_url = [](const std::string& url) { return webhook_body(url); };
  check_errors(
    *this,
    {
      bad("", "body"),
      bad("[]", "body"),
      bad("{\"url\":", "JSON"),
      bad(R"({"secret":"0123456789abcdef"})", "url"),
      bad(R"({"url":7,"secret":"0123456789abcdef"})", "url"),
      bad(with_url("ftp://example.com/hook"), "url"),
      bad(with_url("example.com/hook"), "url"),
      bad(with_url("http://"), "url"),
      bad(with_url("http:///hook"), "url"),
      bad(with_url("http://host:0/hook"), "url"),
      bad(with_url("http://host:99999/hook"), "url"),
      bad(with_url("http://user:pw@host/hook"), "url"),
      bad(with_url("http://host/a b"), "url"),
      bad(with_url("http://host/hook#frag"), "url"),
      bad(webhook_body("http://h/x", R"("events":[])"), "events"),
      bad(webhook_body("http://h/x", R"("events":"task.failed")"), "events"),
      bad(webhook_body("http://h/x", R"("events":["task.nope"])"), "events[0]"),
      bad(webhook_body("http://h/x", R"("events":["task.failed",3])"),
          "events[1]"),
      bad(R"({"url":"http://h/x"})", "secret"),
      bad(R"({"url":"http://h/x","secret":"fifteen-chars!!"})", "secret"),
      bad(R"({"url":"http://h/x","secret":1234567890123456})", "secret"),
      {"DELETE", "/api/v1/webhook/abc", "", 400, 40001, "id"},
      {"DELETE", "/api/v1/webhook/0", "", 400, 40001, "id"},
      {"DELETE", "/api/v1/webhook/77", "", 404, 40401, "webhook"},
      {"GET", "/api/v1/webhook/x/deliveries", "", 400, 40001, "id"},
      {"GET", "/api/v1/webhook/77/deliveries", "", 404, 40401, "webhook"},
    });
  auto listed = get("/api/v1/webhook");
  check_ok(listed);
  BOOST_TEST(webhook_ids(listed).empty());

  // Unknown fields are ignored; a repeated type is kept once; https is
  // taken (nothing listens there, it is never reached in this test).
  auto r = post("/api/v1/webhook",
                webhook_body("https://127.0.0.1:9/x",
                             R"("events":["task.failed","node.online",)"
                             R"("task.failed"],"colour":"red")"));
  check_ok(r);
  BOOST_TEST(to_json(member(r.data(), "events"))
             == R"(["task.failed","node.online"])");
  BOOST_TEST(r.text.find(secret) == std::string::npos);
  auto id = id_of(member(r.data(), "id"));
  listed = get("/api/v1/webhook");
  BOOST_TEST(webhook_ids(listed) == ids{id});
  BOOST_TEST(listed.text.find(secret) == std::string::npos);
  BOOST_TEST(listed.text.find("secret") == std::string::npos);
  check_ok(del(hook_path(id)));
  check_error(del(hook_path(id)), 404, 40401, "webhook");
}

BOOST_FIXTURE_TEST_CASE(removed_webhooks_get_nothing_more, api_server) {
  webhook_receiver removed, kept;
  auto id = add_webhook(*this, removed.url());
  add_webhook(*this, kept.url());
  auto first = create_on(*this, {"sim-0001"});
  BOOST_REQUIRE(wait_until(
    [&] { return ran_through(removed, first) && ran_through(kept, first); },
    30s));
  auto r = del(hook_path(id));
  check_ok(r);
  BOOST_TEST(id_of(member(r.data(), "deleted_count")) == 1u);
  check_error(get(hook_path(id, "/deliveries")), 404, 40401, "webhook");
  BOOST_TEST(webhook_ids(get("/api/v1/webhook")).size() == 1u);
  auto second = create_on(*this, {"sim-0002"});
  // Once the kept one has all of the second task, so would the removed.
  BOOST_REQUIRE(wait_until([&] { return ran_through(kept, second); }, 30s));
  BOOST_TEST(removed.all().size() == 3u);
}

BOOST_AUTO_TEST_CASE(webhooks_need_the_token_and_api_access) {
  std::vector<std::pair<std::string, std::string>> endpoints{
    {"GET", "/api/v1/webhook"},
    {"POST", "/api/v1/webhook"},
    {"DELETE", "/api/v1/webhook/1"},
    {"GET", "/api/v1/webhook/1/deliveries"}};
  auto body = webhook_body("http://127.0.0.1:9/x");
  std::vector<error_case> refused;
  {
    api_server srv(options{{"license.plan", "Starter"}});
    for (auto& [method, path] : endpoints)
      refused.push_back({method, path, body, 403, 40301, ""});
    check_errors(srv, refused);
  }
  api_server srv(options{{"http.token", "webhook-test-token"}});
  refused.clear();
  for (auto& [method, path] : endpoints)
    refused.push_back({method, path, body, 401, 40101, ""});
  check_errors(srv, refused);
  auto r = srv.send("POST", "/api/v1/webhook", body,
                    {{"Authorization", "Bearer webhook-test-token"}});
  check_ok(r);
}

// Black-box tests of GET /metrics (CONTRACT "Health and metrics") against a
// real tmx-server: the text format, every metric the contract names, the
// gauges equal to what the API says, counters that count what happened,
// route patterns instead of raw paths, and no token needed.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <atomic>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace tmx::test;

namespace {

// -- the exposition format ----------------------------------------------------

using labels = std::map<std::string, std::string>;

struct sample {
  std::string name;
  labels tags;
  double value = 0;
};

/// One scrape: its samples, and the HELP and TYPE of each family.
struct exposition {
  std::vector<sample> samples;
  std::map<std::string, std::string> help, type;
  std::vector<std::string> errors; // lines that are no valid exposition

  /// The sum of the samples called `name` whose labels include `want`.
  double sum(const std::string& name, const labels& want = {}) const {
    double out = 0;
    for (auto& s : samples) {
      if (s.name != name)
        continue;
      bool match = true;
      for (auto& [k, v] : want) {
        auto i = s.tags.find(k);
        match &= i != s.tags.end() && i->second == v;
      }
      if (match)
        out += s.value;
    }
    return out;
  }

  /// Every value label `key` has in samples of `name`.
  std::set<std::string> values_of(const std::string& name,
                                  const std::string& key) const {
    std::set<std::string> out;
    for (auto& s : samples)
      if (s.name == name && s.tags.count(key) != 0)
        out.insert(s.tags.at(key));
    return out;
  }
};

/// `{k="v",...}` from `at` (just after the brace); false if malformed.
bool read_labels(const std::string& line, size_t& at, labels& out) {
  while (at < line.size() && line[at] != '}') {
    auto eq = line.find('=', at);
    if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"')
      return false;
    auto key = line.substr(at, eq - at);
    std::string value;
    size_t i = eq + 2;
    for (; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        ++i;
        value += line[i] == 'n' ? '\n' : line[i];
      } else {
        value += line[i];
      }
    }
    if (i >= line.size())
      return false;
    out[key] = value;
    at = i + 1;
    if (at < line.size() && line[at] == ',')
      ++at;
  }
  if (at >= line.size())
    return false;
  ++at; // '}'
  return true;
}

exposition parse_exposition(const std::string& text) {
  exposition out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name, rest;
      words >> hash >> kind >> name;
      std::getline(words >> std::ws, rest);
      if (kind == "HELP")
        out.help[name] = rest;
      else if (kind == "TYPE")
        out.type[name] = rest;
      continue;
    }
    sample s;
    auto end = line.find_first_of("{ ");
    if (end == std::string::npos) {
      out.errors.push_back(line);
      continue;
    }
    s.name = line.substr(0, end);
    size_t at = end;
    if (line[at] == '{' && !read_labels(line, ++at, s.tags)) {
      out.errors.push_back(line);
      continue;
    }
    if (at >= line.size() || line[at] != ' ') {
      out.errors.push_back(line);
      continue;
    }
    try {
      s.value = std::stod(line.substr(at + 1));
    } catch (const std::exception&) {
      out.errors.push_back(line);
      continue;
    }
    out.samples.push_back(std::move(s));
  }
  return out;
}

exposition scrape(const server_process& srv) {
  auto r = srv.get("/metrics");
  BOOST_REQUIRE_MESSAGE(r.status == 200,
                        "GET /metrics: " << r.status << " " << r.text);
  BOOST_TEST(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  auto e = parse_exposition(r.text);
  BOOST_TEST(e.errors.empty(), "not exposition lines: " << e.errors.size());
  return e;
}

const std::map<std::string, std::string> contract_families{
  {"tmx_tasks", "gauge"},
  {"tmx_tasks_created_total", "counter"},
  {"tmx_task_runs_total", "counter"},
  {"tmx_task_run_seconds", "histogram"},
  {"tmx_devices", "gauge"},
  {"tmx_nodes", "gauge"},
  {"tmx_http_requests_total", "counter"},
  {"tmx_http_request_seconds", "histogram"},
  {"tmx_store_write_seconds", "histogram"},
  {"tmx_events_subscribers", "gauge"},
  {"tmx_webhook_deliveries_total", "counter"},
};

/// A histogram's samples carry the family's name plus one of these.
std::string family_of(const std::string& sample_name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (sample_name.size() > s.size()
        && sample_name.compare(sample_name.size() - s.size(), s.size(), s) == 0
        && contract_families.count(
             sample_name.substr(0, sample_name.size() - s.size()))
             != 0)
      return sample_name.substr(0, sample_name.size() - s.size());
  }
  return sample_name;
}

const std::string task_route = "/api/v1/task/{task_id}";

} // namespace

// -- the format ---------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(every_contract_metric_has_help_and_type, api_server) {
  auto m = scrape(*this);
  for (auto& [name, type] : contract_families) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(m.type.count(name) == 1u);
      BOOST_TEST(m.type[name] == type);
      BOOST_TEST(!m.help[name].empty());
    }
  }
  // Every sample belongs to a family with HELP and TYPE lines.
  for (auto& s : m.samples)
    BOOST_TEST(m.type.count(family_of(s.name)) == 1u, s.name);
  for (auto status : {"pending", "running", "completed", "failed"})
    BOOST_TEST(m.values_of("tmx_tasks", "status").count(status) == 1u);
  BOOST_TEST((m.values_of("tmx_nodes", "state")
              == std::set<std::string>{"online", "offline"}));
  BOOST_TEST(m.values_of("tmx_webhook_deliveries_total", "result").size()
             == 3u);
}

// -- gauges and counters against the API --------------------------------------

BOOST_AUTO_TEST_CASE(gauges_and_counters_equal_what_the_api_says) {
  api_server srv(options{{"sim.devices", "3"},
                         {"sim.task-duration", "50ms"},
                         {"sim.failure-rate", "0.5"}});
  auto devices = std::vector<std::string>{"sim-0001", "sim-0002", "sim-0003"};
  create(srv, task_body(serials(devices)));
  create(srv,
         task_body(serials(devices), "follow", R"({"target_users":["@a"]})"));
  create(srv, task_body(serials(devices)), from_ui);
  create(srv, task_body(serials({"sim-0001"}), "post", "{}", later));
  // Nine runs end; the later task stays pending.
  BOOST_REQUIRE(wait_until(
    [&] {
      auto s = srv.get("/api/v1/task/stats");
      return count(s, "completed") + count(s, "failed") == 9
             && count(s, "pending") == 1;
    },
    30s));
  auto stats = srv.get("/api/v1/task/stats");
  check_ok(stats);
  auto m = scrape(srv);
  for (auto status : {"pending", "running", "completed", "failed"})
    BOOST_TEST(m.sum("tmx_tasks", {{"status", status}}) == count(stats, status),
               status);
  BOOST_TEST(m.sum("tmx_tasks_created_total", {{"source", "api"}}) == 7);
  BOOST_TEST(m.sum("tmx_tasks_created_total", {{"source", "ui"}}) == 3);
  BOOST_TEST(m.sum("tmx_task_runs_total", {{"result", "completed"}})
             == count(stats, "completed"));
  BOOST_TEST(m.sum("tmx_task_runs_total", {{"result", "failed"}})
             == count(stats, "failed"));
  BOOST_TEST(m.sum("tmx_task_runs_total", {{"script", "follow"}}) == 3);
  BOOST_TEST(m.sum("tmx_task_runs_total", {{"script", "post"}}) == 6);
  BOOST_TEST(m.sum("tmx_task_run_seconds_count") == 9);
  BOOST_TEST(m.sum("tmx_task_run_seconds_count", {{"script", "post"}}) == 6);
  // Both results of a script that ran are there, 0 or not.
  BOOST_TEST(m.values_of("tmx_task_runs_total", "result").size() == 2u);
  // The creates, the starts and the results were written.
  BOOST_TEST(m.sum("tmx_store_write_seconds_count") >= 4 + 9 * 2);

  auto listed = srv.get("/api/v1/device");
  check_ok(listed);
  BOOST_TEST(m.sum("tmx_devices")
             == member(listed.data(), "devices").GetArray().Size());
  BOOST_TEST(m.sum("tmx_devices") == 3);
  BOOST_TEST(m.sum("tmx_devices", {{"state", "offline"}}) == 0);
  BOOST_TEST(m.sum("tmx_nodes", {{"state", "online"}}) == 1);
  BOOST_TEST(m.sum("tmx_nodes", {{"state", "offline"}}) == 0);
  BOOST_TEST(m.sum("tmx_events_subscribers") == 0);
}

BOOST_FIXTURE_TEST_CASE(an_event_stream_is_a_subscriber, api_server) {
  std::atomic<bool> done{false};
  std::thread stream([&] {
    httplib::Client cli("127.0.0.1", port());
    cli.set_read_timeout(30s);
    // Ends at the first event after `done`, which the create below makes.
    cli.Get("/api/v1/events",
            [&](const char*, size_t) { return !done.load(); });
  });
  auto subscribers = [&] {
    return scrape(*this).sum("tmx_events_subscribers");
  };
  bool attached = wait_until([&] { return subscribers() == 1; }, 15s);
  done = true;
  create(*this, task_body(serials({"sim-0001"})));
  stream.join();
  BOOST_TEST(attached);
}

BOOST_FIXTURE_TEST_CASE(webhook_deliveries_are_counted, api_server) {
  httplib::Server receiver;
  receiver.Post("/hook", [](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
  });
  // The senders' connections do not hold up stop() below.
  receiver.set_keep_alive_max_count(1);
  int hook_port = receiver.bind_to_any_port("127.0.0.1");
  BOOST_REQUIRE(hook_port > 0);
  std::thread serving([&] { receiver.listen_after_bind(); });
  auto delivered = [&] {
    return scrape(*this).sum("tmx_webhook_deliveries_total",
                             {{"result", "delivered"}});
  };
  BOOST_TEST(delivered() == 0);
  auto r = post("/api/v1/webhook",
                R"({"url":"http://127.0.0.1:)" + std::to_string(hook_port)
                  + R"(/hook","events":["task.created"],)"
                  + R"("secret":"a-long-shared-secret-for-metrics"})");
  check_ok(r);
  create(*this, task_body(serials({"sim-0001", "sim-0002"})));
  BOOST_TEST(wait_until([&] { return delivered() == 2; }, 15s));
  receiver.stop();
  serving.join();
}

// -- HTTP requests ------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(requests_are_counted_by_route_pattern, api_server) {
  auto requests = [](const exposition& m, const labels& want) {
    return m.sum("tmx_http_requests_total", want);
  };
  auto before = scrape(*this);
  BOOST_TEST(get("/api/v1/task/1").status == 404);
  get("/api/v1/task/2");
  get("/api/v1/task/3");
  BOOST_TEST(get("/api/v1/no-such-route").status == 404);
  BOOST_TEST(send("PUT", "/api/v1/task").status == 405);
  auto after = scrape(*this);
  BOOST_TEST(requests(after, {{"route", task_route}})
             == requests(before, {{"route", task_route}}) + 3);
  BOOST_TEST(requests(after, {{"route", task_route}, {"code", "404"}})
             == requests(before, {{"route", task_route}, {"code", "404"}}) + 3);
  BOOST_TEST(requests(after, {{"route", "unmatched"}})
             == requests(before, {{"route", "unmatched"}}) + 2);
  BOOST_TEST(
    after.sum("tmx_http_request_seconds_count", {{"route", task_route}})
    == before.sum("tmx_http_request_seconds_count", {{"route", task_route}})
         + 3);
  // The scrape before this one is counted too, under its own path.
  BOOST_TEST(requests(after, {{"route", "/metrics"}}) >= 1);
  // No raw path: every route is a pattern of the table or a fixed label.
  for (auto& route : after.values_of("tmx_http_requests_total", "route")) {
    BOOST_TEST_CONTEXT(route) {
      BOOST_TEST(route.find("/api/v1/task/1") == std::string::npos);
      BOOST_TEST(route.find("no-such-route") == std::string::npos);
      BOOST_TEST((route == "unmatched" || route.rfind("/", 0) == 0));
    }
  }
  BOOST_TEST(after.values_of("tmx_http_request_seconds_bucket", "route")
             == after.values_of("tmx_http_requests_total", "route"));
}

// -- access -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(metrics_need_no_token) {
  api_server srv(options{{"http.token", "s3cret-token-for-metrics"}});
  BOOST_TEST(srv.get("/api/v1/task/stats").status == 401);
  auto m = scrape(srv); // without Authorization
  BOOST_TEST(
    m.sum("tmx_http_requests_total", {{"route", "unmatched"}, {"code", "401"}})
    >= 1);
  BOOST_TEST(m.type.count("tmx_tasks") == 1u);
}

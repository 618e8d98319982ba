// SIGKILL durability of a real tmx-server: acknowledged creates survive, ids
// are never reused, running tasks fail as interrupted, queues keep order.
#define BOOST_TEST_MODULE durability
#include <boost/test/unit_test.hpp>

#include "tests/server_process.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace tmx::test;

namespace {

using ids = std::vector<uint64_t>;

const std::string interrupted = "interrupted by server restart";

std::string post_on(const std::string& serial) {
  return R"({"serials":[")" + serial
         + R"("],"script_name":"post","script_config":{}})";
}

std::string serial_of(int device) {
  return "sim-000" + std::to_string(device);
}

std::string task_path(uint64_t id) {
  return "/api/v1/task/" + std::to_string(id);
}

uint64_t create_one(const server_process& srv, const std::string& body) {
  auto r = srv.post("/api/v1/task", body);
  BOOST_REQUIRE_MESSAGE(r.code() == 0, "create failed: " + r.text);
  auto created = ids_of(member(r.data(), "task_ids"));
  BOOST_REQUIRE_EQUAL(created.size(), 1u);
  return created.front();
}

/// GET /api/v1/task/{id}: the task, or null when the server has none.
rapidjson::Document task_of(const server_process& srv, uint64_t id) {
  auto r = srv.get(task_path(id));
  rapidjson::Document out;
  if (r.code() == 0)
    out.CopyFrom(r.data(), out.GetAllocator());
  return out;
}

int status_of(const server_process& srv, uint64_t id) {
  return static_cast<int>(int_of(member(task_of(srv, id), "status")));
}

/// Whether no task is pending or running any more.
bool drained(const server_process& srv) {
  auto r = srv.get("/api/v1/task/stats");
  return int_of(member(r.data(), "pending")) == 0
         && int_of(member(r.data(), "running")) == 0;
}

/// Every task of the server, oldest first.
std::vector<rapidjson::Document> all_tasks(const server_process& srv) {
  std::vector<rapidjson::Document> out;
  for (int page = 1;; ++page) {
    auto r = srv.get("/api/v1/task?page_size=100&page=" + std::to_string(page));
    BOOST_REQUIRE_EQUAL(r.code(), 0);
    auto& tasks = member(r.data(), "tasks");
    BOOST_REQUIRE(tasks.IsArray());
    if (tasks.Empty())
      break;
    for (auto& t : tasks.GetArray()) {
      out.emplace_back();
      out.back().CopyFrom(t, out.back().GetAllocator());
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

/// Clients that create tasks in a loop and keep every acknowledged id.
class create_load {
public:
  create_load(const server_process& srv, int clients) {
    for (int i = 0; i < clients; ++i)
      threads_.emplace_back([this, &srv, i] { run(srv, i); });
  }

  ~create_load() { stop(); }

  size_t acknowledged() {
    std::lock_guard<std::mutex> guard(mutex_);
    return acked_.size();
  }

  /// Ends the clients; the ids acknowledged until then.
  ids stop() {
    stopping_ = true;
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
    std::lock_guard<std::mutex> guard(mutex_);
    return acked_;
  }

  /// Replies that were neither a success nor "no reply".
  int odd_replies() const { return odd_; }

private:
  // No Boost.Test assertions here: they are not thread-safe.
  void run(const server_process& srv, int client) {
    for (int n = 0; !stopping_; ++n) {
      auto r = srv.post("/api/v1/task",
                        post_on(serial_of(1 + (client + n) % 4)));
      if (r.status == 0)
        continue; // the server is gone or going: not acknowledged
      if (r.code() != 0) {
        ++odd_;
        continue;
      }
      auto created = ids_of(member(r.data(), "task_ids"));
      std::lock_guard<std::mutex> guard(mutex_);
      acked_.insert(acked_.end(), created.begin(), created.end());
    }
  }

  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> odd_{0};
  std::mutex mutex_;
  ids acked_;
};

const options base_options{{"sim.devices", "4"}, {"sim.task-duration", "50ms"}};

} // namespace

BOOST_AUTO_TEST_CASE(acknowledged_creates_survive_sigkill) {
  server_process srv(base_options);
  srv.require_start();
  create_load load(srv, 8);
  BOOST_REQUIRE(wait_until([&] { return load.acknowledged() >= 600; }, 60s));
  srv.kill(); // mid-load: clients are still sending
  auto acked = load.stop();
  BOOST_TEST(load.odd_replies() == 0);
  BOOST_TEST_MESSAGE(acked.size() << " creates acknowledged before SIGKILL");
  std::set<uint64_t> unique(acked.begin(), acked.end());
  BOOST_TEST(unique.size() == acked.size(), "an id was acknowledged twice");

  srv.require_start();
  int lost = 0;
  for (auto id : unique)
    if (!task_of(srv, id).IsObject() && ++lost <= 10)
      BOOST_ERROR("acknowledged task " << id << " is gone");
  BOOST_TEST(lost == 0);
  auto fresh = create_one(srv, post_on("sim-0001"));
  BOOST_TEST(fresh > *unique.rbegin());

  // The backlog runs after the restart, on each device in id order.
  BOOST_REQUIRE(wait_until([&] { return drained(srv); }, 120s));
  // Same offset in every time stamp: text order is time order.
  std::map<std::string, std::string> last_start;
  int64_t interrupted_count = 0;
  auto tasks = all_tasks(srv);
  for (auto& t : tasks) {
    auto serial = text_of(member(t, "serial"));
    auto started = text_of(member(t, "started_at"));
    auto status = int_of(member(t, "status"));
    BOOST_TEST_CONTEXT("task " << to_json(t)) {
      BOOST_TEST(started >= last_start[serial]);
      BOOST_TEST(
        (status == 2
         || (status == 3 && text_of(member(t, "remark")) == interrupted)));
    }
    last_start[serial] = started;
    interrupted_count += status == 3;
  }
  // At most one run per device was cut short.
  BOOST_TEST_MESSAGE(interrupted_count << " runs interrupted by SIGKILL");
  BOOST_TEST(interrupted_count <= 4);
  // The counts of the stats survived the crash too.
  auto stats = srv.get("/api/v1/task/stats");
  BOOST_TEST(int_of(member(stats.data(), "total"))
             == static_cast<int64_t>(tasks.size()));
  BOOST_TEST(int_of(member(stats.data(), "failed")) == interrupted_count);
}

BOOST_AUTO_TEST_CASE(running_fails_and_queue_order_survives_sigkill) {
  server_process srv(base_options);
  srv.require_start({{"sim.task-duration", "60s"}});
  auto running = create_one(srv, post_on("sim-0002"));
  ids queued;
  for (int i = 0; i < 5; ++i)
    queued.push_back(create_one(srv, post_on("sim-0002")));
  BOOST_REQUIRE(wait_until([&] { return status_of(srv, running) == 1; }, 15s));
  auto started = text_of(member(task_of(srv, running), "started_at"));
  for (auto id : queued)
    BOOST_TEST(status_of(srv, id) == 0);
  srv.kill();

  srv.require_start();
  auto was_running = task_of(srv, running);
  BOOST_TEST(int_of(member(was_running, "status")) == 3);
  BOOST_TEST(text_of(member(was_running, "remark")) == interrupted);
  BOOST_TEST(member(was_running, "finished_at").IsString());
  // Not run again: at most once.
  BOOST_TEST(text_of(member(was_running, "started_at")) == started);
  BOOST_TEST(int_of(member(was_running, "retry_count")) == 0);

  BOOST_REQUIRE(
    wait_until([&] { return status_of(srv, queued.back()) == 2; }, 30s));
  std::string previous_end = started;
  for (auto id : queued)
    BOOST_TEST_CONTEXT("task " << id) {
      auto t = task_of(srv, id);
      BOOST_TEST(int_of(member(t, "status")) == 2);
      auto start = text_of(member(t, "started_at"));
      BOOST_TEST(start >= previous_end, start << " < " << previous_end);
      previous_end = text_of(member(t, "finished_at"));
    }
  BOOST_TEST(create_one(srv, post_on("sim-0002")) > queued.back());
}

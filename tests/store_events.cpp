// The store's outbox (storage/events.cpp): task events written with their
// change, ids one apart and across reopen, read back, trimmed; device and
// node events; webhooks and their cursors. And the pure event model
// (model/event.hpp, model/event_query.hpp).
#define BOOST_TEST_MODULE store_events
#include <boost/test/unit_test.hpp>

#include "model/event_query.hpp"
#include "storage/codec.hpp"
#include "storage/store.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <map>

using namespace tmx;

namespace {

struct fixture {
  std::string path;
  std::unique_ptr<store> db;

  fixture() {
    auto tmpl = (std::filesystem::temp_directory_path() / "tmx-events-XXXXXX")
                  .string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    db = open();
  }

  ~fixture() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  std::unique_ptr<store> open() {
    std::string error;
    auto s = store::open({path, false, false}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  void reopen() {
    db.reset();
    db = open();
  }

  std::vector<event> stored(uint64_t after = 0, size_t limit = 1000) {
    std::vector<event> out;
    BOOST_REQUIRE_EQUAL(to_string(db->read_events(after, limit, out)), "ok");
    for (auto& e : out) // task events are stored unrendered
      BOOST_REQUIRE(codec::render(e));
    return out;
  }
};

task make_task(task_id id, task_status status = task_status::pending) {
  task t;
  t.id = id;
  t.serial = "s1";
  t.script_name = "post";
  t.status = status;
  t.source = "api";
  t.script_config = "{}";
  t.created_at = 1700000000000;
  return t;
}

std::vector<std::string> types_of(const std::vector<event>& events) {
  std::vector<std::string> out;
  for (auto& e : events)
    out.push_back(to_string(e.type));
  return out;
}

/// The task object's status in an event's data.
int status_in(const event& e) {
  rapidjson::Document doc;
  doc.Parse(e.data.c_str());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc["type"].GetString() == std::string(to_string(e.type)));
  BOOST_TEST(doc["at"].IsString());
  return doc["task"]["status"].GetInt();
}

} // namespace

BOOST_FIXTURE_TEST_CASE(each_transition_is_written_with_its_change, fixture) {
  BOOST_REQUIRE(db->insert({make_task(1), make_task(2)}) == store_errc::ok);
  auto running = make_task(1, task_status::running);
  BOOST_REQUIRE(db->update({running}) == store_errc::ok);
  BOOST_REQUIRE(db->update({make_task(1, task_status::completed),
                            make_task(2, task_status::failed)})
                == store_errc::ok);
  BOOST_REQUIRE(db->update({make_task(2, task_status::pending)})
                == store_errc::ok);
  // A change that keeps the status is no event; a log is none either.
  BOOST_REQUIRE(db->update({make_task(2, task_status::pending)},
                           {task_log{2, {{1, "x"}}, true}})
                == store_errc::ok);
  std::vector<task_id> erased;
  BOOST_REQUIRE(db->erase({2, 9}, erased) == store_errc::ok);
  auto events = stored();
  BOOST_TEST(
    (types_of(events)
     == std::vector<std::string>{"task.created", "task.created", "task.started",
                                 "task.completed", "task.failed",
                                 "task.retried", "task.deleted"}));
  for (size_t i = 0; i < events.size(); ++i)
    BOOST_TEST(events[i].id == i + 1);
  std::vector<int> statuses;
  for (auto& e : events)
    statuses.push_back(status_in(e));
  BOOST_TEST((statuses == std::vector<int>{0, 0, 1, 2, 3, 0, 0}));
  BOOST_TEST(db->last_event_id() == 7u);
  // take_events hands the written ones on once.
  BOOST_TEST(db->take_events().size() == 7u);
  BOOST_TEST(db->take_events().empty());
}

BOOST_FIXTURE_TEST_CASE(a_refused_change_writes_no_event, fixture) {
  BOOST_REQUIRE(db->insert({make_task(1)}) == store_errc::ok);
  db->take_events();
  // Task 9 does not exist: nothing of the update is written.
  BOOST_TEST(to_string(db->update({make_task(1, task_status::running),
                                   make_task(9, task_status::running)}))
             == "not_found");
  BOOST_TEST(db->take_events().empty());
  BOOST_TEST(stored().size() == 1u);
  BOOST_TEST(db->last_event_id() == 1u);
}

BOOST_FIXTURE_TEST_CASE(ids_go_on_after_reopen_and_trim, fixture) {
  BOOST_REQUIRE(db->insert({make_task(1), make_task(2), make_task(3)})
                == store_errc::ok);
  BOOST_REQUIRE(db->append_events(
                  {make_event(event_type::node_online, 5, R"({"name":"a"})")})
                == store_errc::ok);
  BOOST_TEST(db->take_events().size() == 4u);
  reopen();
  BOOST_TEST(db->last_event_id() == 4u);
  BOOST_TEST(db->first_event_id() == 1u);
  BOOST_REQUIRE(db->insert({make_task(4)}) == store_errc::ok);
  BOOST_TEST(stored(4).front().id == 5u);
  BOOST_REQUIRE(db->trim_events(3) == store_errc::ok);
  BOOST_TEST(db->first_event_id() == 3u);
  BOOST_TEST(stored().front().id == 3u);
  BOOST_TEST(stored(0, 2).size() == 2u);
  reopen();
  BOOST_TEST(db->first_event_id() == 3u);
  auto node = stored(3, 1);
  BOOST_REQUIRE_EQUAL(node.size(), 1u);
  BOOST_TEST(to_string(node[0].type) == std::string("node.online"));
  BOOST_TEST(node[0].at == 5);
  BOOST_TEST(node[0].data.find(R"("node":{"name":"a"})") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(webhooks_and_their_cursors_are_stored, fixture) {
  webhook w;
  w.url = "http://127.0.0.1:9/hook";
  w.events = {event_type::task_completed, event_type::node_offline};
  w.secret = "0123456789abcdef";
  w.created_at = 42;
  BOOST_REQUIRE(db->put_webhook(w) == store_errc::ok);
  BOOST_TEST(w.id == 1u);
  webhook second = w;
  second.id = 0;
  BOOST_REQUIRE(db->put_webhook(second) == store_errc::ok);
  BOOST_TEST(second.id == 2u);
  BOOST_REQUIRE(db->set_webhook_cursor(1, 77) == store_errc::ok);
  BOOST_TEST(to_string(db->set_webhook_cursor(5, 1)) == "not_found");
  reopen();
  std::vector<webhook> all;
  BOOST_REQUIRE(db->webhooks(all) == store_errc::ok);
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].cursor == 77u);
  BOOST_TEST(all[0].url == w.url);
  BOOST_TEST(all[0].secret == w.secret);
  BOOST_TEST(all[0].created_at == 42);
  BOOST_TEST((all[0].events == w.events));
  BOOST_REQUIRE(db->erase_webhook(1) == store_errc::ok);
  BOOST_TEST(to_string(db->erase_webhook(1)) == "not_found");
  BOOST_REQUIRE(db->webhooks(all) == store_errc::ok);
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].id == 2u);
  webhook third;
  third.url = "http://x/";
  BOOST_REQUIRE(db->put_webhook(third) == store_errc::ok);
  BOOST_TEST(third.id == 3u); // ids are never reused
}

BOOST_AUTO_TEST_CASE(task_event_of_each_move) {
  auto p = make_task(1), r = make_task(1, task_status::running),
       c = make_task(1, task_status::completed),
       f = make_task(1, task_status::failed);
  auto name = [](const task* a, const task* b) {
    auto t = task_event_of(a, b);
    return t ? std::string(to_string(*t)) : std::string("none");
  };
  BOOST_TEST(name(nullptr, &p) == "task.created");
  BOOST_TEST(name(&p, &r) == "task.started");
  BOOST_TEST(name(&r, &c) == "task.completed");
  BOOST_TEST(name(&r, &f) == "task.failed");
  BOOST_TEST(name(&p, &f) == "task.failed");
  BOOST_TEST(name(&f, &p) == "task.retried");
  BOOST_TEST(name(&r, &p) == "task.retried");
  BOOST_TEST(name(&c, nullptr) == "task.deleted");
  BOOST_TEST(name(&p, &p) == "none");
}

BOOST_AUTO_TEST_CASE(event_queries) {
  auto none = [](std::string_view) -> std::optional<std::string_view> {
    return std::nullopt;
  };
  auto types = [](std::string_view name) -> std::optional<std::string_view> {
    if (name == "types")
      return std::string_view("task.failed,node.online");
    return std::nullopt;
  };
  event_query q;
  BOOST_TEST(!parse_event_query(none, std::nullopt, q));
  BOOST_TEST(!q.resume);
  BOOST_TEST(q.wants(event_type::device_updated));
  BOOST_TEST(!parse_event_query(types, std::string_view("12"), q));
  BOOST_TEST(q.resume);
  BOOST_TEST(q.after == 12u);
  BOOST_TEST(q.wants(event_type::node_online));
  BOOST_TEST(!q.wants(event_type::task_completed));
  auto bad = [](std::string_view name) -> std::optional<std::string_view> {
    if (name == "types")
      return std::string_view("task.failed,task.done");
    return std::nullopt;
  };
  auto err = parse_event_query(bad, std::nullopt, q);
  BOOST_TEST((err.code == ec::invalid_params));
  BOOST_TEST(err.message.find("task.done") != std::string::npos);
  for (auto id : {"", "x", "-1", "1.5", "99999999999999999999999"})
    BOOST_TEST((parse_event_query(none, std::string_view(id), q).code
                == ec::invalid_params),
               id);
}

BOOST_AUTO_TEST_CASE(sse_text_of_an_event) {
  auto e = make_event(event_type::device_updated, 0, R"({"serial":"a"})");
  e.id = 9;
  std::string out;
  append_sse(out, e);
  BOOST_TEST(
    out.rfind("id: 9\nevent: device\ndata: {\"type\":\"device.updated\"", 0)
    == 0u);
  BOOST_TEST(out.substr(out.size() - 2) == "\n\n");
  BOOST_TEST(out.find('\n', 0) == 5u);
}

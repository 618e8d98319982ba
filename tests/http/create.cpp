// HTTP API tests of POST /api/v1/task: the task object, fan-out, errors,
// body size, Idempotency-Key and X-Tmx-Source.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

using namespace tmx::test;

// -- create -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(task_object_fields_and_types, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0001"}), "post",
                                        R"({"captions":"hi"})"));
  auto r = task_of(*this, id);
  auto& t = r.data();
  BOOST_TEST(text_of(member(t, "serial")) == "sim-0001");
  BOOST_TEST(member(t, "username").IsNull());
  BOOST_TEST(text_of(member(t, "script_name")) == "post");
  BOOST_TEST(text_of(member(t, "source")) == "api");
  BOOST_TEST(member(t, "scheduled_at").IsNull());
  BOOST_TEST(int_of(member(t, "retry_count")) == 0);
  auto& config = member(t, "script_config");
  BOOST_TEST(text_of(member(config, "captions")) == "hi");
  BOOST_TEST(int_of(member(config, "content_type")) == 0);
  BOOST_TEST(text_of(member(config, "post_way")) == "share");
  BOOST_TEST(int_of(member(config, "upload_wait_time")) == 30);
  BOOST_TEST(int_of(member(config, "origin_sound_volume")) == 50);
  BOOST_REQUIRE(reaches(*this, id, 2));
  auto done = task_of(*this, id);
  auto& d = done.data();
  BOOST_TEST(is_time(member(d, "started_at")));
  BOOST_TEST(is_time(member(d, "finished_at")));
  auto& duration = member(d, "duration_s");
  BOOST_TEST((duration.IsNumber() && duration.GetDouble() >= 0.2));
  BOOST_TEST(member(d, "node").IsString());
  BOOST_TEST(text_of(member(d, "remark")) == "");
  auto listed = list(*this);
  BOOST_REQUIRE_EQUAL(listed_ids(listed).size(), 1u);
  BOOST_TEST(count(listed, "total") == 1);
  BOOST_TEST(to_json(member(listed.data(), "tasks")[0]) == to_json(d));
  auto later_id = create_one(*this, task_body(serials({"sim-0002"}), "post",
                                              "{}", later));
  BOOST_TEST(is_time(member(task_of(*this, later_id).data(), "scheduled_at")));
}

BOOST_FIXTURE_TEST_CASE(create_fan_out, api_server) {
  // (serial, username, target) of each task; "" for null / none.
  using unit = fan_out_unit;
  struct fan_out_case {
    std::string body;
    std::vector<unit> tasks;
  };
  auto follow = R"({"target_users":["u1","u2","u3"]})";
  auto unfollow = R"({"target_user":"u1,u2\nu3","access_method":"search"})";
  auto by_username = R"({"target_username":"u1, u2,u3"})";
  std::vector<fan_out_case> cases{
    {task_body(serials({"sim-0001", "sim-0002"})),
     {{"sim-0001", "", ""}, {"sim-0002", "", ""}}},
    {task_body(usernames({"sim-0001-a", "sim-0002-b"})),
     {{"sim-0001", "sim-0001-a", ""}, {"sim-0002", "sim-0002-b", ""}}},
    {task_body(serials({"sim-0003", "sim-0004"}), "post", "{}",
               R"("enable_multi_account":true)"),
     {{"sim-0003", "sim-0003-a", ""},
      {"sim-0003", "sim-0003-b", ""},
      {"sim-0004", "sim-0004-a", ""},
      {"sim-0004", "sim-0004-b", ""}}},
    {task_body(usernames({"sim-0001-b"}), "account_warmup"),
     {{"sim-0001", "sim-0001-b", ""}}},
  };
  for (auto [script, config] :
       {std::pair{"follow", follow}, std::pair{"unfollow", unfollow},
        std::pair{"follow", by_username}}) {
    fan_out_case c{task_body(serials({"sim-0001", "sim-0002"}), script, config),
                   {}};
    for (auto serial : {"sim-0001", "sim-0002"})
      for (auto target : {"u1", "u2", "u3"})
        c.tasks.emplace_back(serial, "", target);
    cases.push_back(c);
  }
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      check_fan_out(*this, c.body, c.tasks, "target_users",
                    {"target_user", "target_username"});
    }
}

BOOST_FIXTURE_TEST_CASE(create_errors_store_nothing, api_server) {
  auto one = serials({"sim-0001"});
  check_errors(
    *this,
    {
      bad_create(task_body(serials({"sim-0001", "sim-0001"})), "sim-0001"),
      bad_create(task_body(serials({"sim-0001", "sim-9999"})), "sim-9999"),
      bad_create(task_body(usernames({"sim-0001-a", "ghost"})), "ghost"),
      bad_create(task_body(usernames({"sim-0001-a", "sim-0001-a"})),
                 "sim-0001-a"),
      bad_create(task_body(one + "," + usernames({"sim-0001-a"})), ""),
      bad_create(task_body(serials({})), "serials"),
      bad_create(R"({"script_name":"post","script_config":{}})", "serials"),
      bad_create(task_body(serials({""})), "serials"),
      bad_create(task_body("\"serials\":\"sim-0001\""), "serials"),
      bad_create("{" + one + R"(,"script_config":{}})", "script_name", 40002),
      bad_create(task_body(one, ""), "script_name", 40002),
      bad_create(task_body(one, "like"), "like", 40003),
      bad_create(task_body(one, "scrape_user"), "scrape_user", 40003),
      bad_create(task_body(one, "dance"), "dance", 40003),
      bad_create("{" + one + R"(,"script_name":"post"})", "script_config"),
      bad_create(task_body(one, "post", "[]"), "script_config"),
      bad_create(task_body(one, "post", R"({"content_type":"x"})"),
                 "content_type"),
      bad_create(task_body(one, "post", R"({"origin_sound_volume":101})"),
                 "origin_sound_volume"),
      bad_create(task_body(one, "post", R"({"post_way":"fax"})"), "post_way"),
      bad_create(task_body(one, "post", R"({"post_way":"useSound"})"),
                 "sound_name"),
      bad_create(task_body(one, "follow", "{}"), "target_user"),
      bad_create(task_body(one, "account_warmup",
                           R"({"min_duration":40,"max_duration":30})"),
                 "min_duration"),
      bad_create(task_body(usernames({"sim-0001-a"}), "post", "{}",
                           R"("enable_multi_account":true)"),
                 "enable_multi_account"),
      bad_create(task_body(one, "post", "{}", R"("enable_multi_account":1)"),
                 "enable_multi_account"),
      bad_create(task_body(one, "post", "{}", R"("start_time":"25:00")"),
                 "start_time"),
      bad_create(task_body(one, "post", "{}",
                           R"("min_interval":5,"max_interval":2)"),
                 "min_interval"),
      bad_create(task_body(one, "post", "{}", R"("min_interval":-1)"),
                 "min_interval"),
      bad_create("{\"serials\":", ""),
      bad_create("not json", ""),
      bad_create("[]", ""),
      bad_create("\"text\"", ""),
      bad_create("42", ""),
      bad_create("", ""),
    });
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

BOOST_FIXTURE_TEST_CASE(unknown_fields_are_ignored, api_server) {
  auto id = create_one(*this,
                       task_body(serials({"sim-0001"}), "post",
                                 R"({"colour":"blue"})", R"("priority":9)"));
  BOOST_TEST(text_of(member(task_of(*this, id).data(), "script_name"))
             == "post");
}

BOOST_FIXTURE_TEST_CASE(oversized_body_is_refused, api_server) {
  constexpr size_t mib = 1024 * 1024;
  for (auto size : {mib + 1024, 9 * mib})
    BOOST_TEST_CONTEXT("captions of " << size << " bytes") {
      auto r = post("/api/v1/task", post_body(size));
      if (r.status != 0) { // a closed connection is allowed too
        BOOST_TEST((r.status == 400 || r.status == 413), r.status);
        BOOST_TEST(r.code() == 40001);
      }
      BOOST_TEST(answers());
      BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
    }
  // Just under the limit is an ordinary create.
  create_one(*this, post_body(mib - 1024));
}

BOOST_FIXTURE_TEST_CASE(idempotency_key, api_server) {
  auto body = task_body(serials({"sim-0001", "sim-0002"}), "post", "{}", later);
  headers key_a{{"Idempotency-Key", "key-a"}};
  auto first = create(*this, body, key_a);
  BOOST_TEST(first.size() == 2u);
  BOOST_TEST(create(*this, body, key_a) == first);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 2);
  auto other = task_body(serials({"sim-0003"}), "post", "{}", later);
  check_error(post("/api/v1/task", other, key_a), 409, 40901);
  headers key_b{{"Idempotency-Key", "key-b"}};
  auto unknown = task_body(serials({"sim-9999"}));
  check_error(post("/api/v1/task", unknown, key_b), 400, 40001, "sim-9999");
  auto second = create(*this, other, key_b);
  BOOST_TEST(second.size() == 1u);
  BOOST_TEST(second.front() > first.back());
  BOOST_TEST(create(*this, other, key_b) == second);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 3);
  // Keys are stored with the tasks: a restart forgets none.
  restart();
  BOOST_TEST(create(*this, body, key_a) == first);
  check_error(post("/api/v1/task", other, key_a), 409, 40901);
  BOOST_TEST(count(stats_matching_list(*this), "total") == 3);
}

// -- source -------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(source_header_marks_ui_tasks, api_server) {
  for (auto [extra, source] : std::vector<std::pair<headers, std::string>>{
         {{}, "api"},
         {from_ui, "ui"},
         {{{"X-Tmx-Source", "api"}}, "api"},
         {{{"X-Tmx-Source", "dashboard"}}, "api"},
       })
    BOOST_TEST_CONTEXT("X-Tmx-Source " << source) {
      auto id = create_one(
        *this, task_body(serials({"sim-0001"}), "post", "{}", later), extra);
      auto t = task_of(*this, id);
      BOOST_TEST(text_of(member(t.data(), "source")) == source);
      auto listed = listed_ids(list(*this, "?source=" + source));
      BOOST_TEST(std::count(listed.begin(), listed.end(), id) == 1);
    }
}

// HTTP API tests of the schedules: the schedule object, create, list,
// detail, partial update, delete and run now, the checks of the task body
// (named with a `task.` prefix) and the routing of the paths.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>
#include <vector>

using namespace tmx::test;

namespace {

const options in_utc{{"tmx.timezone", "UTC"}};

const std::string a_post
  = R"({"serials":["sim-0001","sim-0002"],"script_name":"post",)"
    R"("script_config":{"captions":"hi"}})";

std::string schedule_json(const std::string& members,
                          const std::string& task = a_post) {
  return "{" + members + (members.empty() ? "" : ",") + R"("task":)" + task
         + "}";
}

const std::vector<field_kind> schedule_fields{
  {"id", int_json},
  {"name", string_json},
  {"enabled", bool_json},
  {"weekdays", array_json},
  {"times", array_json},
  {"task", object_json},
  {"next_run_at", time_json | null_json},
  {"last_run_at", time_json | null_json},
  {"last_task_ids", array_json},
  {"created_at", time_json}};

void check_schedule(const rapidjson::Value& s) {
  check_fields(s, schedule_fields);
  BOOST_TEST(s.MemberCount() == schedule_fields.size());
}

/// A request that must answer one schedule object.
reply schedule_reply(reply r) {
  check_ok(r);
  check_schedule(r.data());
  return r;
}

/// ISO weekday (1 = Monday) of an instant, UTC.
int iso_weekday_of(int64_t ms) {
  auto days = ms / (86'400 * 1000);
  return static_cast<int>((days + 3) % 7) + 1; // 1970-01-01: a Thursday
}

/// "HH:MM" (UTC) `minutes` from now: a slot that cannot come during a test.
std::string clock_in(int64_t minutes) {
  return iso_at(now_ms() + minutes * 60 * 1000).substr(11, 5);
}

std::string path_of(uint64_t id, const std::string& action = "") {
  return "/api/v1/schedule/" + std::to_string(id)
         + (action.empty() ? "" : "/" + action);
}

uint64_t add(const server_process& srv, const std::string& body) {
  auto r = schedule_reply(srv.post("/api/v1/schedule", body));
  return id_of(member(r.data(), "id"));
}

} // namespace

BOOST_AUTO_TEST_CASE(schedule_object_create_list_detail) {
  api_server srv(in_utc);
  auto late = clock_in(13 * 60), early = clock_in(12 * 60);
  auto r = schedule_reply(srv.post(
    "/api/v1/schedule", schedule_json(R"("name":"morning","times":[")" + late
                                      + R"(",")" + early + R"("])")));
  auto& s = r.data();
  BOOST_TEST(id_of(member(s, "id")) == 1u);
  BOOST_TEST(text_of(member(s, "name")) == "morning");
  BOOST_TEST(member(s, "enabled").IsTrue());
  BOOST_TEST(to_json(member(s, "weekdays")) == "[1,2,3,4,5,6,7]");
  auto sorted = early < late ? json_strings({early, late})
                             : json_strings({late, early});
  BOOST_TEST(to_json(member(s, "times")) == sorted);
  BOOST_TEST(to_json(member(s, "task")) == a_post); // as given
  BOOST_TEST(is_time(member(s, "next_run_at")));
  auto next = ms_of(member(s, "next_run_at"));
  BOOST_TEST(next > now_ms() + 11 * 3600 * 1000);
  BOOST_TEST(next < now_ms() + 13 * 3600 * 1000);
  BOOST_TEST(member(s, "last_run_at").IsNull());
  BOOST_TEST(member(s, "last_task_ids").Empty());
  auto id2 = add(srv, schedule_json(R"("name":"weekends","weekdays":[7,6],)"
                                    R"("times":["10:00"],"enabled":false)"));
  BOOST_TEST(id2 == 2u);
  auto listed = srv.get("/api/v1/schedule");
  check_ok(listed);
  BOOST_TEST(listed.data().MemberCount() == 1u);
  auto& all = member(listed.data(), "schedules");
  BOOST_REQUIRE(all.IsArray());
  BOOST_REQUIRE_EQUAL(all.Size(), 2u);
  for (auto& x : all.GetArray())
    check_schedule(x);
  BOOST_TEST(id_of(member(all[0], "id")) == 1u);
  BOOST_TEST(member(all[1], "next_run_at").IsNull()); // disabled
  BOOST_TEST(to_json(member(all[1], "weekdays")) == "[6,7]");
  auto one = schedule_reply(srv.get(path_of(1)));
  BOOST_TEST(to_json(one.data()) == to_json(all[0]));
  // Stored: a restart keeps them.
  srv.restart();
  auto again = schedule_reply(srv.get(path_of(1)));
  BOOST_TEST(to_json(again.data()) == to_json(all[0]));
  BOOST_TEST(
    member(schedule_reply(srv.get(path_of(2))).data(), "enabled").IsFalse());
  BOOST_TEST(add(srv, schedule_json(R"("name":"x","times":[")" + clock_in(600)
                                    + R"("])"))
             == 3u);
}

BOOST_AUTO_TEST_CASE(schedule_errors_name_the_field) {
  api_server srv(in_utc);
  const std::string one_time = R"("name":"x","times":["09:00"])";
  auto bad = [](const std::string& body, const std::string& names,
                int code = 40001) {
    return error_case{"POST", "/api/v1/schedule", body, 400, code, names};
  };
  check_errors(
    srv, {
           bad("[]", "body must be a JSON object"),
           bad(schedule_json(R"("times":["09:00"])"), "name is required"),
           bad(schedule_json(R"("name":"x","times":["25:00"])"), "times[0]"),
           bad(schedule_json(R"("name":"x","times":[])"), "times must be"),
           bad(schedule_json(one_time + R"(,"weekdays":[0])"), "weekdays[0]"),
           bad(schedule_json(one_time + R"(,"weekdays":[2,2])"),
               "weekdays lists 2 twice"),
           bad(schedule_json(one_time + R"(,"enabled":"no")"), "enabled"),
           bad("{" + one_time + "}", "task is required"),
           bad(schedule_json(one_time, R"({"serials":["sim-0001"],)"
                                       R"("script_name":"post",)"
                                       R"("script_config":{"captions":5}})"),
               "task.script_config.captions"),
           bad(schedule_json(one_time, R"({"serials":["sim-0001"],)"
                                       R"("script_config":{}})"),
               "task.script_name", 40002),
           bad(schedule_json(one_time, R"({"serials":["sim-0001"],)"
                                       R"("script_name":"like",)"
                                       R"("script_config":{}})"),
               "task.script_name: script 'like'", 40003),
           bad(schedule_json(one_time, R"({"serials":["nope"],)"
                                       R"("script_name":"post",)"
                                       R"("script_config":{}})"),
               "task.serials: unknown device 'nope'"),
           bad(schedule_json(one_time, R"({"usernames":["ghost"],)"
                                       R"("script_name":"post",)"
                                       R"("script_config":{}})"),
               "task.usernames: unknown account 'ghost'"),
           bad(schedule_json(one_time, R"({"serials":["sim-0001"],)"
                                       R"("script_name":"post",)"
                                       R"("script_config":{},)"
                                       R"("start_time":"10:00"})"),
               "task.start_time"),
           {"GET", "/api/v1/schedule/x", "", 400, 40001, "id"},
           {"GET", "/api/v1/schedule/0", "", 400, 40001, "id"},
           {"GET", "/api/v1/schedule/9", "", 404, 40401, "schedule"},
           {"POST", "/api/v1/schedule/9", "{}", 404, 40401, "schedule"},
           {"DELETE", "/api/v1/schedule/9", "", 404, 40401, "schedule"},
           {"POST", "/api/v1/schedule/9/run", "", 404, 40401, "schedule"},
           {"PUT", "/api/v1/schedule", "{}", 405, 40001, "method"},
           {"DELETE", "/api/v1/schedule", "", 405, 40001, "method"},
           {"GET", "/api/v1/schedule/1/run", "", 405, 40001, "method"},
         });
  // Nothing was stored by any of them.
  check_ok(srv.get("/api/v1/schedule"));
  BOOST_TEST(member(srv.get("/api/v1/schedule").data(), "schedules").Empty());
  auto id = add(srv, schedule_json(one_time));
  check_error(srv.post(path_of(id), R"({"times":["9:99"]})"), 400, 40001,
              "times[0]");
  check_error(srv.post(path_of(id), R"({"task":{"serials":["nope"],)"
                                    R"("script_name":"post",)"
                                    R"("script_config":{}}})"),
              400, 40001, "task.serials: unknown device 'nope'");
}

BOOST_AUTO_TEST_CASE(schedule_update_run_and_delete) {
  api_server srv(in_utc);
  auto slot = clock_in(12 * 60);
  auto id = add(srv,
                schedule_json(R"("name":"x","times":[")" + slot + R"("])"));
  auto off = schedule_reply(
    srv.post(path_of(id), R"({"name":"renamed","enabled":false})"));
  BOOST_TEST(text_of(member(off.data(), "name")) == "renamed");
  BOOST_TEST(member(off.data(), "enabled").IsFalse());
  BOOST_TEST(member(off.data(), "next_run_at").IsNull());
  BOOST_TEST(to_json(member(off.data(), "times")) == json_strings({slot}));
  auto other = clock_in(11 * 60);
  auto on = schedule_reply(
    srv.post(path_of(id), R"({"enabled":true,"weekdays":[1],"times":[")" + other
                            + R"("]})"));
  BOOST_TEST(is_time(member(on.data(), "next_run_at")));
  BOOST_TEST(text_of(member(on.data(), "next_run_at")).substr(11, 12)
             == other + ":00.000");
  BOOST_TEST(iso_weekday_of(ms_of(member(on.data(), "next_run_at"))) == 1);
  auto unchanged = schedule_reply(srv.post(path_of(id), "{}"));
  BOOST_TEST(to_json(unchanged.data()) == to_json(on.data()));
  // Run now: the tasks of its body, source "schedule", schedule_id set.
  auto run = srv.post(path_of(id, "run"));
  check_ok(run);
  BOOST_TEST(run.data().MemberCount() == 2u);
  auto made = ids_of(member(run.data(), "task_ids"));
  BOOST_REQUIRE_EQUAL(made.size(), 2u);
  BOOST_TEST(id_of(member(run.data(), "created_count")) == 2u);
  for (auto t : made) {
    auto task = task_of(srv, t);
    BOOST_TEST(text_of(member(task.data(), "source")) == "schedule");
    BOOST_TEST(id_of(member(task.data(), "schedule_id")) == id);
  }
  auto api_task = create_one(srv, task_body(serials({"sim-0003"})));
  BOOST_TEST(member(task_of(srv, api_task).data(), "schedule_id").IsNull());
  auto listed = list(srv, "?source=schedule");
  BOOST_TEST(listed_ids(listed) == (ids{made[1], made[0]}));
  auto after = schedule_reply(srv.get(path_of(id)));
  BOOST_TEST(ids_of(member(after.data(), "last_task_ids")) == made);
  BOOST_TEST(is_time(member(after.data(), "last_run_at")));
  BOOST_TEST(to_json(member(after.data(), "next_run_at"))
             == to_json(member(on.data(), "next_run_at")));
  // A new body is used by the next firing.
  schedule_reply(srv.post(path_of(id), R"({"task":{"serials":["sim-0004"],)"
                                       R"("script_name":"post",)"
                                       R"("script_config":{}}})"));
  auto second = ids_of(member(srv.post(path_of(id, "run")).data(), "task_ids"));
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_TEST(text_of(member(task_of(srv, second[0]).data(), "serial"))
             == "sim-0004");
  // Delete: gone, its tasks stay, its id is never given again.
  auto del = srv.del(path_of(id));
  check_ok(del);
  BOOST_TEST(count(del, "deleted_count") == 1);
  check_error(srv.get(path_of(id)), 404, 40401, "schedule");
  task_of(srv, made[0]);
  BOOST_TEST(
    add(srv, schedule_json(R"("name":"y","times":[")" + slot + R"("])"))
    == id + 1);
}

BOOST_AUTO_TEST_CASE(schedule_secrets_are_never_shown) {
  api_server srv(in_utc);
  auto r = schedule_reply(srv.post(
    "/api/v1/schedule",
    schedule_json(R"("name":"warm","times":["09:00"])",
                  R"({"serials":["sim-0001"],"script_name":"account_warmup",)"
                  R"("script_config":{"generate_by_chatgpt":true,)"
                  R"("chatgpt_settings":{"api_key":"sk-very-secret"}}})")));
  BOOST_TEST(r.text.find("sk-very-secret") == std::string::npos);
  auto& settings = member(member(member(r.data(), "task"), "script_config"),
                          "chatgpt_settings");
  BOOST_TEST(text_of(member(settings, "api_key")) == "***");
  auto listed = srv.get("/api/v1/schedule");
  BOOST_TEST(listed.text.find("sk-very-secret") == std::string::npos);
}

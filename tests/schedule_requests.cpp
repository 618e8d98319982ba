// Unit tests of the schedule bodies: POST /api/v1/schedule with every rule
// (the task body checked as a create, its errors prefixed `task.`), the
// partial update, and the schedule object's JSON with its secrets hidden.
#define BOOST_TEST_MODULE schedule_requests
#include <boost/test/unit_test.hpp>

#include "model/schedule.hpp"
#include "model/schedule_json.hpp"
#include "model/time.hpp"

#include <rapidjson/document.h>

#include <string>
#include <vector>

using namespace tmx;

namespace {

const std::string a_task
  = R"({"serials":["sim-0001"],"script_name":"post","script_config":{}})";

std::string body(const std::string& members) {
  return "{" + members + "}";
}

/// A valid body with `extra` members first (FindMember finds the first of
/// a repeated name: they win).
std::string valid(const std::string& extra = "") {
  return body((extra.empty() ? "" : extra + ",")
              + R"("name":"morning","times":["09:00"],"task":)" + a_task);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void check_refused(const std::string& b, const std::string& names,
                   ec code = ec::invalid_params) {
  BOOST_TEST_CONTEXT(b) {
    schedule s;
    auto err = parse_schedule_request(b, 0, s);
    BOOST_TEST((err.code == code));
    BOOST_TEST(contains(err.message, names),
               "'" << err.message << "' does not name '" << names << "'");
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(request_reads_fields_and_defaults) {
  schedule s;
  auto err = parse_schedule_request(
    body(R"("name":"posts","weekdays":[5,1,3],"times":["18:00","9:05"],)"
         R"("unknown":1,"task":)"
         + a_task),
    0, s);
  BOOST_TEST(!err, err.message);
  BOOST_TEST(s.name == "posts");
  BOOST_TEST(s.enabled);
  BOOST_TEST((s.weekdays == std::vector<uint8_t>{1, 3, 5}));
  BOOST_TEST((s.times == std::vector<uint16_t>{9 * 60 + 5, 18 * 60}));
  BOOST_TEST(s.task == a_task);
  schedule d;
  BOOST_TEST(!parse_schedule_request(valid(R"("enabled":false)"), 0, d));
  BOOST_TEST(!d.enabled);
  BOOST_TEST((d.weekdays == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7}));
  schedule n; // null counts as absent, as in a create
  BOOST_TEST(!parse_schedule_request(valid(R"("weekdays":null)"), 0, n));
  BOOST_TEST(n.weekdays.size() == 7u);
  schedule e; // an empty start_time is a create's "now"
  BOOST_TEST(!parse_schedule_request(
    body(R"("name":"x","times":["0:00"],"task":{"start_time":"",)"
         R"("serials":["a"],"script_name":"post","script_config":{}})"),
    0, e));
  BOOST_TEST((e.times == std::vector<uint16_t>{0}));
  BOOST_TEST(clock_text(0) == "00:00");
  BOOST_TEST(clock_text(23 * 60 + 59) == "23:59");
}

BOOST_AUTO_TEST_CASE(request_errors_name_the_field_and_rule) {
  check_refused("[]", "body must be a JSON object");
  check_refused("{", "body is not valid JSON at offset 1");
  check_refused(body(R"("times":["09:00"],"task":)" + a_task),
                "name is required");
  check_refused(valid(R"("name":"")"), "name must be a non-empty string");
  check_refused(valid(R"("name":5)"), "name must be");
  check_refused(valid(R"("name":")" + std::string(201, 'x') + "\""),
                "at most 200 bytes");
  check_refused(valid(R"("enabled":"yes")"), "enabled must be true or false");
  check_refused(valid(R"("weekdays":[])"), "weekdays must be a non-empty");
  check_refused(valid(R"("weekdays":"1")"), "weekdays must be a non-empty");
  check_refused(valid(R"("weekdays":[0])"), "weekdays[0] must be an integer");
  check_refused(valid(R"("weekdays":[1,8])"), "weekdays[1] must be");
  check_refused(valid(R"("weekdays":[1.5])"), "weekdays[0]");
  check_refused(valid(R"("weekdays":["1"])"), "weekdays[0]");
  check_refused(valid(R"("weekdays":[3,1,3])"), "weekdays lists 3 twice");
  check_refused(body(R"("name":"x","task":)" + a_task), "times is required");
  for (auto times : {R"([])", R"("09:00")", R"({})"})
    check_refused(body(R"("name":"x","times":)" + std::string(times)
                       + R"(,"task":)" + a_task),
                  "times must be a non-empty array");
  for (auto bad : {R"("24:00")", R"("9:60")", R"("0900")", R"(900)",
                   R"("09:00:00")", R"("")", R"(" 9:00")"})
    check_refused(body(R"("name":"x","times":["08:00",)" + std::string(bad)
                       + R"(],"task":)" + a_task),
                  "times[1] must be \"HH:MM\" (24 h)");
  check_refused(body(R"("name":"x","times":["09:00","9:00"],"task":)" + a_task),
                "times lists 09:00 twice");
  check_refused(body(R"("name":"x","times":["09:00"])"), "task is required");
  check_refused(body(R"("name":"x","times":["09:00"],"task":[])"),
                "task must be an object");
  check_refused(body(R"("name":"x","times":["09:00"],"task":"post")"),
                "task must be an object");
}

BOOST_AUTO_TEST_CASE(task_body_is_checked_as_a_create) {
  auto with_task = [](const std::string& task) {
    return body(R"("name":"x","times":["09:00"],"task":)" + task);
  };
  check_refused(with_task(R"({"serials":["a"],"script_name":"post",)"
                          R"("script_config":{"captions":5}})"),
                "task.script_config.captions must be a string");
  check_refused(with_task(R"({"serials":["a"],"script_config":{}})"),
                "task.script_name is required", ec::missing_script);
  check_refused(with_task(R"({"serials":["a"],"script_name":"like",)"
                          R"("script_config":{}})"),
                "task.script_name: script 'like' is not available",
                ec::script_unavailable);
  check_refused(with_task(R"({"script_name":"post","script_config":{}})"),
                "task.serials");
  check_refused(with_task(R"({"serials":["a","a"],"script_name":"post",)"
                          R"("script_config":{}})"),
                "task.serials lists 'a' twice");
  check_refused(with_task(R"({"serials":["a"],"script_name":"post"})"),
                "task.script_config is required");
  check_refused(with_task(R"({"serials":["a"],"script_name":"post",)"
                          R"("script_config":{},"min_interval":5,)"
                          R"("max_interval":1})"),
                "task.min_interval must be <= max_interval");
  check_refused(with_task(R"({"serials":["a"],"script_name":"post",)"
                          R"("script_config":{},"start_time":"09:00"})"),
                "task.start_time is not allowed");
  check_refused(with_task(R"({"serials":["a"],"usernames":["u"],)"
                          R"("script_name":"post","script_config":{}})"),
                "task: give exactly one of");
  check_refused(with_task(R"({"serials":["a"],"script_name":"post",)"
                          R"("script_config":{"captions":10e308}})"),
                "task holds a number beyond the range of a double");
  // A body the create would refuse for invalid UTF-8 is named by its path.
  check_refused(with_task("{\"serials\":[\"a\xff\"],\"script_name\":"
                          "\"post\",\"script_config\":{}}"),
                "task.serials[0] must be valid UTF-8");
  // The create request a firing makes.
  create_request req;
  BOOST_TEST(!schedule_create_request(a_task, 1000, req));
  BOOST_TEST((req.serials == std::vector<std::string>{"sim-0001"}));
  BOOST_TEST(req.start_at == 0);
  BOOST_TEST(req.configs.size() == 1u);
  BOOST_TEST(task_error(invalid("serials: unknown device 'x'")).message
             == "task.serials: unknown device 'x'");
  BOOST_TEST(task_error(invalid("groups: unknown group 'g'")).message
             == "task.groups: unknown group 'g'");
  BOOST_TEST(task_error(invalid("the request makes 9 tasks")).message
             == "task: the request makes 9 tasks");
  BOOST_TEST(!task_error({}));
}

BOOST_AUTO_TEST_CASE(patch_names_only_what_it_changes) {
  schedule_patch p;
  BOOST_TEST(!parse_schedule_patch("{}", 0, p));
  BOOST_TEST(p.fields == 0u);
  BOOST_TEST(!parse_schedule_patch(R"({"name":null,"enabled":false})", 0, p));
  BOOST_TEST(p.fields == schedule_patch::enabled);
  BOOST_TEST(!parse_schedule_patch(
    R"({"name":"n","weekdays":[2],"times":["7:00"],"task":)" + a_task + "}", 0,
    p));
  BOOST_TEST(p.fields
             == (schedule_patch::name | schedule_patch::weekdays
                 | schedule_patch::times | schedule_patch::task));
  for (auto [b, names] : std::vector<std::pair<std::string, std::string>>{
         {R"([1])", "body must be a JSON object"},
         {R"({"name":""})", "name must be"},
         {R"({"weekdays":[9]})", "weekdays[0]"},
         {R"({"times":[]})", "times must be"},
         {R"({"task":{"script_name":"post"}})", "task."},
         {R"({"enabled":1})", "enabled must be"}})
    BOOST_TEST_CONTEXT(b) {
      schedule_patch q;
      auto err = parse_schedule_patch(b, 0, q);
      BOOST_TEST(contains(err.message, names), err.message);
    }
  schedule s;
  BOOST_TEST(!parse_schedule_request(valid(), 0, s));
  auto before = s;
  BOOST_TEST(apply_patch(p, s)); // weekdays and times changed
  BOOST_TEST(s.name == "n");
  BOOST_TEST((s.weekdays == std::vector<uint8_t>{2}));
  BOOST_TEST((s.times == std::vector<uint16_t>{7 * 60}));
  schedule_patch rename;
  BOOST_TEST(
    !parse_schedule_patch(R"({"name":"m","enabled":true})", 0, rename));
  auto t = before;
  BOOST_TEST(!apply_patch(rename, t)); // enabled was true already
  BOOST_TEST(t.name == "m");
  schedule_patch off;
  BOOST_TEST(!parse_schedule_patch(R"({"enabled":false})", 0, off));
  BOOST_TEST(apply_patch(off, t));
  BOOST_TEST(!t.enabled);
  uint64_t id = 0;
  BOOST_TEST(parse_schedule_id("12", id));
  BOOST_TEST(id == 12u);
  for (auto bad : {"0", "-1", "1a", "", "%31"})
    BOOST_TEST(!parse_schedule_id(bad, id), bad);
}

BOOST_AUTO_TEST_CASE(schedule_json_shows_the_contract_fields) {
  setenv("TZ", "UTC", 1);
  tzset();
  schedule s;
  BOOST_TEST(!parse_schedule_request(
    body(R"("name":"warm","weekdays":[1,7],"times":["06:30","22:00"],)"
         R"("task":{"serials":["a"],"script_name":"account_warmup",)"
         R"("script_config":{"generate_by_chatgpt":true,)"
         R"("chatgpt_settings":{"api_key":"sk-secret"}}})"),
    0, s));
  s.id = 3;
  s.created_at = 1000;
  s.next_run_at = 86'400'000;
  s.last_task_ids = {7, 8};
  s.last_run_at = 2000;
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_schedule(w, s);
  std::string text(buf.GetString(), buf.GetSize());
  BOOST_TEST(!contains(text, "sk-secret"));
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc.MemberCount() == 10u);
  BOOST_TEST(doc["id"].GetUint64() == 3u);
  BOOST_TEST(doc["name"].GetString() == std::string("warm"));
  BOOST_TEST(doc["enabled"].GetBool());
  BOOST_TEST(doc["weekdays"].Size() == 2u);
  BOOST_TEST(doc["weekdays"][1].GetInt() == 7);
  BOOST_TEST(doc["times"][0].GetString() == std::string("06:30"));
  BOOST_TEST(
    doc["task"]["script_config"]["chatgpt_settings"]["api_key"].GetString()
    == std::string("***"));
  BOOST_TEST(doc["next_run_at"].GetString()
             == std::string("1970-01-02T00:00:00.000+00:00"));
  BOOST_TEST(doc["last_run_at"].GetString()
             == std::string("1970-01-01T00:00:02.000+00:00"));
  BOOST_TEST(doc["last_task_ids"].Size() == 2u);
  BOOST_TEST(doc["created_at"].IsString());
  s.next_run_at = s.last_run_at = 0;
  s.last_task_ids.clear();
  rapidjson::StringBuffer buf2;
  json_writer w2(buf2);
  write_schedule(w2, s);
  doc.Parse(buf2.GetString(), buf2.GetSize());
  BOOST_TEST(doc["next_run_at"].IsNull());
  BOOST_TEST(doc["last_run_at"].IsNull());
  BOOST_TEST(doc["last_task_ids"].Empty());
}

// Unit tests of model/: statuses, error mapping, time formats, script_config
// rules and the parsing of a create request.
#define BOOST_TEST_MODULE model
#include <boost/test/unit_test.hpp>

#include "tests/time_zone.hpp"

#include "model/create_request.hpp"
#include "model/error.hpp"
#include "model/script_config.hpp"
#include "model/task.hpp"
#include "model/time.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <ctime>
#include <string>

using namespace tmx;
using tmx::test::zone;

namespace {

constexpr const char* cet = "CET-1CEST,M3.5.0,M10.5.0/3";

millis iso(const char* text) {
  millis out = 0;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_start_time(text, 0, out, error), text);
  return out;
}

millis start(const char* text, millis now) {
  millis out = 0;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_start_time(text, now, out, error), text);
  return out;
}

bool start_fails(const char* text, std::string* why = nullptr) {
  millis out = 0;
  std::string error;
  bool ok = parse_start_time(text, iso("2026-11-29T10:00Z"), out, error);
  if (why != nullptr)
    *why = error;
  return !ok && !error.empty();
}

struct checked {
  api_error error;
  std::string config; // compact, after defaults
};

checked validate(const char* script, const char* json) {
  rapidjson::Document doc;
  doc.Parse(json);
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), json);
  checked out{validate_script_config(script, doc, doc.GetAllocator()), {}};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  out.config = buf.GetString();
  return out;
}

struct parsed {
  api_error error;
  create_request request;
};

parsed parse(const std::string& body) {
  parsed out;
  out.error = parse_create_request(body, iso("2026-11-29T10:00Z"), out.request);
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// -- task.hpp, error.hpp -----------------------------------------------------

BOOST_AUTO_TEST_CASE(status_text_and_parse) {
  BOOST_TEST(status_text(task_status::pending) == "pending");
  BOOST_TEST(status_text(task_status::running) == "running");
  BOOST_TEST(status_text(task_status::completed) == "completed");
  BOOST_TEST(status_text(task_status::failed) == "failed");
  task_status s = task_status::pending;
  BOOST_TEST(parse_status("3", s));
  BOOST_TEST((s == task_status::failed));
  BOOST_TEST(parse_status("0", s));
  BOOST_TEST((s == task_status::pending));
  for (const char* bad : {"", "4", "-1", "01", "a", "1 "})
    BOOST_TEST(!parse_status(bad, s), bad);
}

BOOST_AUTO_TEST_CASE(api_code_and_http_status) {
  struct row {
    ec code;
    int api;
    int http;
  };
  for (auto r :
       {row{ec::none, 0, 200}, row{ec::invalid_params, 40001, 400},
        row{ec::missing_script, 40002, 400},
        row{ec::script_unavailable, 40003, 400},
        row{ec::no_api_access, 40301, 403}, row{ec::not_found, 40401, 404},
        row{ec::conflict, 40901, 409}, row{ec::internal, 50001, 500}}) {
    BOOST_TEST(api_code(r.code) == r.api);
    BOOST_TEST(http_status(r.code) == r.http);
  }
  BOOST_TEST(!api_error{});
  BOOST_TEST(static_cast<bool>(invalid("x")));
  BOOST_TEST((invalid("x").code == ec::invalid_params));
}

// -- time.hpp ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(format_time_in_utc) {
  zone tz("UTC0");
  BOOST_TEST(format_time(0) == "1970-01-01T00:00:00.000+00:00");
  BOOST_TEST(format_time(1795962600123) == "2026-11-29T14:30:00.123+00:00");
  BOOST_TEST(format_time(-1) == "1969-12-31T23:59:59.999+00:00");
}

BOOST_AUTO_TEST_CASE(format_time_follows_local_offset) {
  {
    zone tz(cet);
    BOOST_TEST(format_time(1795962600123) == "2026-11-29T15:30:00.123+01:00");
    BOOST_TEST(format_time(1782907200000) == "2026-07-01T14:00:00.000+02:00");
  }
  {
    zone tz("IST-5:30");
    BOOST_TEST(format_time(0) == "1970-01-01T05:30:00.000+05:30");
  }
  {
    zone tz("EST5EDT,M3.2.0,M11.1.0");
    BOOST_TEST(format_time(1795962600123) == "2026-11-29T09:30:00.123-05:00");
  }
}

BOOST_AUTO_TEST_CASE(now_millis_is_wall_clock) {
  millis before = static_cast<millis>(std::time(nullptr)) * 1000;
  millis now = now_millis();
  BOOST_TEST(now >= before);
  BOOST_TEST(now < before + 2000);
}

BOOST_AUTO_TEST_CASE(start_time_iso) {
  BOOST_TEST(iso("2026-11-29T14:30:00Z") == 1795962600000);
  BOOST_TEST(iso("2026-11-29T14:30Z") == 1795962600000);
  BOOST_TEST(iso("2026-11-29 14:30:00.123z") == 1795962600123);
  BOOST_TEST(iso("2026-11-29T14:30:00.123+05:30") == 1795942800123);
  BOOST_TEST(iso("2026-11-29T14:30:00.123456+05:30") == 1795942800123);
  BOOST_TEST(iso("2026-11-29T14:30:00.5Z") == 1795962600500);
  BOOST_TEST(iso("2024-02-29T00:00:00-03:00") == 1709175600000);
  // Not resolved against "now": a past instant is kept as given.
  millis out = 0;
  std::string error;
  BOOST_TEST(parse_start_time("2026-11-29T14:30+01:00",
                              iso("2027-01-01T00:00Z"), out, error));
  BOOST_TEST(out == 1795959000000);
}

BOOST_AUTO_TEST_CASE(start_time_clock_today_or_tomorrow) {
  zone tz("UTC0");
  millis now = iso("2026-11-29T10:00Z");
  BOOST_TEST(start("14:30", now) == iso("2026-11-29T14:30Z"));
  BOOST_TEST(start("09:15", now) == iso("2026-11-30T09:15Z"));
  BOOST_TEST(start("9:15", now) == iso("2026-11-30T09:15Z"));
  BOOST_TEST(start("10:00", now) == iso("2026-11-30T10:00Z"));
  BOOST_TEST(start("10:00", now - 1) == iso("2026-11-29T10:00Z"));
  BOOST_TEST(start("23:59", now) == iso("2026-11-29T23:59Z"));
  BOOST_TEST(start("00:00", now) == iso("2026-11-30T00:00Z"));
}

BOOST_AUTO_TEST_CASE(start_time_clock_in_local_zone_across_dst) {
  zone tz(cet);
  BOOST_TEST(start("14:30", iso("2026-11-29T10:00Z"))
             == iso("2026-11-29T14:30+01:00"));
  // The night before a change the next 10:00 has the other offset.
  BOOST_TEST(start("10:00", iso("2026-03-28T12:00+01:00"))
             == iso("2026-03-29T10:00+02:00"));
  BOOST_TEST(start("10:00", iso("2026-10-24T12:00+02:00"))
             == iso("2026-10-25T10:00+01:00"));
  BOOST_TEST(start("1:00", iso("2026-10-24T12:00+02:00"))
             == iso("2026-10-25T01:00+02:00"));
}

BOOST_AUTO_TEST_CASE(start_time_rejects) {
  for (const char* bad : {"25:61",
                          "24:00",
                          "23:60",
                          "7:5",
                          "07:5",
                          "123:00",
                          "",
                          "12",
                          "ab:cd",
                          "12:30:00",
                          " 12:30",
                          "12:30 ",
                          "-1:30",
                          "2026-02-30T10:00Z",
                          "2026-13-01T10:00Z",
                          "2026-11-29T14:30+5:30",
                          "2026-11-29T14:30+0530",
                          "2026-11-29T14:30:00.Z",
                          "2026-11-29X14:30Z",
                          "2026-11-29",
                          "2026-11-29T14:30Z trailing",
                          "tomorrow"}) {
    std::string why;
    BOOST_TEST(start_fails(bad, &why), bad);
    BOOST_TEST(contains(why, "must"), why);
  }
  std::string why;
  BOOST_TEST(start_fails("2026-11-29T14:30:00", &why));
  BOOST_TEST(contains(why, "offset"), why);
  BOOST_TEST(start_fails("25:61", &why));
  BOOST_TEST(why
             == "must be HH:MM (24 h) or an ISO-8601 date-time with "
                "offset");
}

// -- script_config.hpp -------------------------------------------------------

BOOST_AUTO_TEST_CASE(scripts_available_or_not) {
  for (const char* name :
       {"post", "follow", "unfollow", "account_warmup", "comment"})
    BOOST_TEST(!check_script(name), name);
  for (const char* name :
       {"like", "message", "super_marketing", "profile", "scrape_user"}) {
    auto err = check_script(name);
    BOOST_TEST((err.code == ec::script_unavailable), name);
    BOOST_TEST(err.message
               == "script '" + std::string(name)
                    + "' is not available through the API");
  }
  auto err = check_script("teleport");
  BOOST_TEST((err.code == ec::script_unavailable));
  BOOST_TEST(contains(err.message, "teleport"));
  BOOST_TEST((validate("like", "{}").error.code == ec::script_unavailable));
  BOOST_TEST(fans_out_per_target("follow"));
  BOOST_TEST(fans_out_per_target("unfollow"));
  BOOST_TEST(fans_out_per_target("comment"));
  BOOST_TEST(!fans_out_per_target("post"));
  BOOST_TEST(!fans_out_per_target("account_warmup"));
}

BOOST_AUTO_TEST_CASE(defaults_are_applied) {
  auto post = validate("post", "{}");
  BOOST_TEST(!post.error);
  BOOST_TEST(post.config
             == R"({"content_type":0,"image_count":1,"captions":"",)"
                R"("post_way":"share","material_source":"materialLibrary",)"
                R"("upload_wait_time":30,"sound_wait_time":10,)"
                R"("add_sound":"-1","origin_sound_volume":50,)"
                R"("add_sound_volume":50,"add_product_link":0,)"
                R"("placement":"reel"})");
  auto follow = validate("follow", R"({"target_users":["a"]})");
  BOOST_TEST(follow.config
             == R"({"target_users":["a"],"access_method":"direct"})");
  auto warmup = validate("account_warmup", "{}");
  BOOST_TEST(warmup.config
             == R"({"task_duration":600,"topic":"","min_duration":15,)"
                R"("max_duration":30,"like_probable":0,"floow_probable":0,)"
                R"("collect_probable":0,"comment_probable":0,"comment":"",)"
                R"("insert_emoji":false,"comment_order":"random",)"
                R"("generate_by_chatgpt":false})");
}

BOOST_AUTO_TEST_CASE(given_values_unknown_fields_and_nulls) {
  auto c = validate("post", R"({"zzz":{"a":[1,null]},"content_type":1,)"
                            R"("image_count":4,"post_way":null,)"
                            R"("material_path":null})");
  BOOST_TEST(!c.error);
  BOOST_TEST(contains(c.config, R"({"zzz":{"a":[1,null]},"content_type":1,)"
                                R"("image_count":4,)"));
  BOOST_TEST(contains(c.config, R"("post_way":"share")"));
  BOOST_TEST(!contains(c.config, "material_path"));
  BOOST_TEST((validate("post", "[]").error.code == ec::invalid_params));
}

BOOST_AUTO_TEST_CASE(add_sound_is_normalised_to_a_string) {
  BOOST_TEST(contains(validate("post", R"({"add_sound":1})").config,
                      R"("add_sound":"1")"));
  BOOST_TEST(contains(validate("post", R"({"add_sound":-1})").config,
                      R"("add_sound":"-1")"));
  BOOST_TEST(contains(validate("post", R"({"add_sound":"0"})").config,
                      R"("add_sound":"0")"));
}

// One row per rule and side: the config, and "" when it must pass or the
// start of the message when it must fail.
struct rule_case {
  const char* script;
  const char* config;
  const char* error;
};

constexpr rule_case rule_cases[] = {
  // post
  {"post", R"({"content_type":2})",
   "script_config.content_type must be 0 or 1"},
  {"post", R"({"content_type":"1"})", "script_config.content_type must be"},
  {"post", R"({"content_type":1})", ""},
  {"post", R"({"image_count":0})",
   "script_config.image_count must be an integer >= 1"},
  {"post", R"({"image_count":3})", ""},
  {"post", R"({"captions":5})", "script_config.captions must be a string"},
  {"post", R"({"captions":"{a|b}"})", ""},
  {"post", R"({"post_way":"tweet"})",
   R"(script_config.post_way must be one of "share", "addButton", )"},
  {"post", R"({"post_way":"addButton"})", ""},
  {"post", R"({"material_source":"cloud"})",
   "script_config.material_source must be one of"},
  {"post", R"({"material_source":"localFolder","material_path":"/m"})", ""},
  {"post", R"({"material_path":7})",
   "script_config.material_path must be a string"},
  {"post", R"({"material_list":["a",1]})",
   "script_config.material_list must be an array of strings"},
  {"post", R"({"material_list":"a"})", "script_config.material_list must"},
  {"post", R"({"material_list":["a"]})", ""},
  {"post", R"({"materials_tags":[]})",
   "script_config.materials_tags must be a string"},
  {"post", R"({"materials_tags":"cats"})", ""},
  {"post", R"({"upload_wait_time":-1})",
   "script_config.upload_wait_time must be a non-negative integer"},
  {"post", R"({"upload_wait_time":1.5})", "script_config.upload_wait_time"},
  {"post", R"({"upload_wait_time":0})", ""},
  {"post", R"({"sound_wait_time":-5})", "script_config.sound_wait_time"},
  {"post", R"({"sound_wait_time":5})", ""},
  {"post", R"({"add_sound":2})", "script_config.add_sound must be one of"},
  {"post", R"({"add_sound":"2"})", "script_config.add_sound must be one of"},
  {"post", R"({"add_sound":true})", "script_config.add_sound must be"},
  {"post", R"({"add_sound":0})", ""},
  {"post", R"({"sound_name":1})", "script_config.sound_name must be a string"},
  {"post", R"({"custom_sound_keyword":1})",
   "script_config.custom_sound_keyword must be a string"},
  {"post", R"({"origin_sound_volume":101})",
   "script_config.origin_sound_volume must be an integer 0-100"},
  {"post", R"({"origin_sound_volume":100})", ""},
  {"post", R"({"add_sound_volume":-1})",
   "script_config.add_sound_volume must be an integer 0-100"},
  {"post", R"({"add_sound_volume":0})", ""},
  {"post", R"({"add_product_link":2})",
   "script_config.add_product_link must be 0 or 1"},
  {"post", R"({"add_product_link":1})", ""},
  {"post", R"({"placement":"feed"})", "script_config.placement must be one of"},
  {"post", R"({"placement":"story"})", ""},
  // post: conditional requirements
  {"post", R"({"material_source":"localFolder"})",
   "script_config.material_path is required when material_source is "
   "localFolder and material_list is empty"},
  {"post", R"({"material_source":"localFolder","material_path":""})",
   "script_config.material_path is required"},
  {"post", R"({"material_source":"localFolder","material_list":[]})",
   "script_config.material_path is required"},
  {"post", R"({"material_source":"localFolder","material_list":["x"]})", ""},
  {"post", R"({"post_way":"useSound"})",
   "script_config.sound_name is required when post_way is useSound"},
  {"post", R"({"post_way":"useSound","sound_name":""})",
   "script_config.sound_name is required"},
  {"post", R"({"post_way":"useSound","sound_name":"hit"})", ""},
  {"post", R"({"add_sound":"custom"})",
   "script_config.custom_sound_keyword is required when add_sound is custom"},
  {"post", R"({"add_sound":"custom","custom_sound_keyword":"rain"})", ""},
  // follow, unfollow
  {"follow", R"({"target_users":"a"})",
   "script_config.target_users must be an array of strings"},
  {"follow", R"({"target_users":[1]})", "script_config.target_users must"},
  {"follow", R"({"target_users":[]})",
   "script_config.target_users (or target_user) must name at least one"},
  {"follow", "{}", "script_config.target_users (or target_user) must name"},
  {"follow", R"({"target_user":" , \n "})",
   "script_config.target_users (or target_user) must name"},
  {"follow", R"({"target_users":["a"]})", ""},
  {"follow", R"({"target_user":5})",
   "script_config.target_user must be a string"},
  {"follow", R"({"target_user":"a"})", ""},
  {"unfollow", R"({"target_username":true})",
   "script_config.target_username must be a string"},
  {"unfollow", R"({"target_username":"a"})", ""},
  {"follow", R"({"target_users":["a"],"access_method":"web"})",
   R"(script_config.access_method must be one of "direct", "search")"},
  {"follow", R"({"target_users":["a"],"access_method":"search"})", ""},
  // account_warmup
  {"account_warmup", R"({"task_duration":-1})",
   "script_config.task_duration must be a non-negative integer"},
  {"account_warmup", R"({"task_duration":60})", ""},
  {"account_warmup", R"({"topic":1})", "script_config.topic must be a string"},
  {"account_warmup", R"({"topic":"cats"})", ""},
  {"account_warmup", R"({"min_duration":-1})",
   "script_config.min_duration must be a non-negative integer"},
  {"account_warmup", R"({"max_duration":"9"})", "script_config.max_duration"},
  {"account_warmup", R"({"min_duration":40})",
   "script_config.min_duration must be <= max_duration"},
  {"account_warmup", R"({"min_duration":40,"max_duration":50})", ""},
  {"account_warmup", R"({"min_duration":30,"max_duration":30})", ""},
  {"account_warmup", R"({"like_probable":101})",
   "script_config.like_probable must be an integer 0-100"},
  {"account_warmup", R"({"floow_probable":-1})",
   "script_config.floow_probable must be an integer 0-100"},
  {"account_warmup", R"({"collect_probable":"5"})",
   "script_config.collect_probable must be an integer 0-100"},
  {"account_warmup", R"({"comment_probable":100.5})",
   "script_config.comment_probable must be an integer 0-100"},
  {"account_warmup",
   R"({"like_probable":100,"floow_probable":1,)"
   R"("collect_probable":0,"comment_probable":100})",
   ""},
  {"account_warmup", R"({"comment":1})",
   "script_config.comment must be a string"},
  {"account_warmup", R"({"comment":"nice"})", ""},
  {"account_warmup", R"({"insert_emoji":"yes"})",
   "script_config.insert_emoji must be true or false"},
  {"account_warmup", R"({"insert_emoji":true})", ""},
  {"account_warmup", R"({"comment_order":"shuffle"})",
   "script_config.comment_order must be one of"},
  {"account_warmup", R"({"comment_order":"sequential"})", ""},
};

BOOST_AUTO_TEST_CASE(every_script_config_rule) {
  for (const auto& c : rule_cases) {
    BOOST_TEST_CONTEXT(c.script << " " << c.config) {
      auto got = validate(c.script, c.config);
      if (*c.error == '\0') {
        BOOST_TEST(!got.error, got.error.message);
      } else {
        BOOST_TEST((got.error.code == ec::invalid_params));
        BOOST_TEST(got.error.message.rfind(c.error, 0) == 0, got.error.message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(follow_targets_are_collected) {
  auto split = validate("follow", R"({"target_user":" a, b\n\nc ,a"})");
  BOOST_TEST(split.config
             == R"({"target_user":" a, b\n\nc ,a",)"
                R"("access_method":"direct","target_users":["a","b","c"]})");
  auto name = validate("unfollow", R"({"target_username":"x\r\ny"})");
  BOOST_TEST(contains(name.config, R"("target_users":["x","y"])"));
  // The array wins over the texts.
  auto both = validate("follow", R"({"target_users":[" p ",""],)"
                                 R"("target_user":"q","target_username":"r"})");
  BOOST_TEST(contains(both.config, R"("target_users":["p"])"));
  // An array that names nobody leaves the choice to the texts.
  auto empty = validate("follow", R"({"target_users":[],"target_user":"q"})");
  BOOST_TEST(contains(empty.config, R"("target_users":["q"])"));
}

// -- create_request.hpp ------------------------------------------------------

BOOST_AUTO_TEST_CASE(create_request_success) {
  auto p = parse(R"({"serials":["s1","s2"],"script_name":"post",)"
                 R"("script_config":{"captions":"hi"},"unknown":[1],)"
                 R"("enable_multi_account":true,)"
                 R"("start_time":"2026-11-29T14:30:00Z",)"
                 R"("min_interval":2,"max_interval":5})");
  BOOST_TEST(!p.error, p.error.message);
  const auto& r = p.request;
  BOOST_TEST(r.serials == (std::vector<std::string>{"s1", "s2"}),
             boost::test_tools::per_element());
  BOOST_TEST(r.usernames.empty());
  BOOST_TEST(r.script_name == "post");
  BOOST_TEST(r.multi_account);
  BOOST_TEST(r.start_at == 1795962600000);
  BOOST_TEST(r.min_interval == 2);
  BOOST_TEST(r.max_interval == 5);
  BOOST_REQUIRE(r.configs.size() == 1u);
  BOOST_TEST(contains(r.configs[0], R"({"captions":"hi","content_type":0,)"));
}

BOOST_AUTO_TEST_CASE(create_request_defaults) {
  auto p = parse(R"({"usernames":["u1"],"script_name":"account_warmup",)"
                 R"("script_config":{},"start_time":"","serials":[]})");
  BOOST_TEST(!p.error, p.error.message);
  BOOST_TEST(p.request.usernames.size() == 1u);
  BOOST_TEST(!p.request.multi_account);
  BOOST_TEST(p.request.start_at == 0);
  BOOST_TEST(p.request.min_interval == 0);
  BOOST_TEST(p.request.max_interval == 0);
}

BOOST_AUTO_TEST_CASE(create_request_start_time_clock) {
  zone tz("UTC0");
  auto p = parse(R"({"serials":["s"],"script_name":"post",)"
                 R"("script_config":{},"start_time":"09:00"})");
  BOOST_TEST(!p.error, p.error.message);
  BOOST_TEST(p.request.start_at == iso("2026-11-30T09:00Z"));
}

BOOST_AUTO_TEST_CASE(follow_fans_out_per_target) {
  auto p = parse(R"({"serials":["s1","s2"],"script_name":"follow",)"
                 R"("script_config":{"target_users":["a","b","c"],)"
                 R"("target_user":"z","target_username":"y","x":1}})");
  BOOST_TEST(!p.error, p.error.message);
  BOOST_REQUIRE(p.request.configs.size() == 3u);
  const char* expected[] = {
    R"({"target_users":["a"],"x":1,"access_method":"direct"})",
    R"({"target_users":["b"],"x":1,"access_method":"direct"})",
    R"({"target_users":["c"],"x":1,"access_method":"direct"})",
  };
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(p.request.configs[i] == expected[i]);
  auto text = parse(R"({"usernames":["u"],"script_name":"unfollow",)"
                    R"("script_config":{"target_user":"a,b\nc"}})");
  BOOST_TEST(!text.error, text.error.message);
  BOOST_REQUIRE(text.request.configs.size() == 3u);
  BOOST_TEST(text.request.configs[2]
             == R"({"access_method":"direct","target_users":["c"]})");
}

// One row per create error: the body, the expected code and a part of the
// message.
struct create_case {
  const char* body;
  ec code;
  const char* message;
};

const create_case create_cases[] = {
  {"", ec::invalid_params, "not valid JSON"},
  {"{\"serials\":", ec::invalid_params, "not valid JSON"},
  {"{} x", ec::invalid_params, "not valid JSON"},
  {"[1]", ec::invalid_params, "body must be a JSON object"},
  {"\"post\"", ec::invalid_params, "body must be a JSON object"},
  {R"({"serials":["s"],"script_config":{}})", ec::missing_script,
   "script_name"},
  {R"({"serials":["s"],"script_name":"","script_config":{}})",
   ec::missing_script, "script_name"},
  {R"({"serials":["s"],"script_name":null,"script_config":{}})",
   ec::missing_script, "script_name"},
  {R"({"serials":["s"],"script_name":5,"script_config":{}})",
   ec::invalid_params, "script_name must be a string"},
  {R"({"serials":["s"],"script_name":"like","script_config":{}})",
   ec::script_unavailable, "script 'like' is not available through the API"},
  {R"({"serials":["s"],"script_name":"nope","script_config":{}})",
   ec::script_unavailable, "nope"},
  {R"({"script_name":"post","script_config":{}})", ec::invalid_params,
   "serials must be a non-empty array of strings"},
  {R"({"script_name":"post","serials":[],"script_config":{}})",
   ec::invalid_params, "serials must be a non-empty array of strings"},
  {R"({"script_name":"post","serials":"s1","script_config":{}})",
   ec::invalid_params, "serials must be a non-empty array of strings"},
  {R"({"script_name":"post","serials":["s1",""],"script_config":{}})",
   ec::invalid_params, "serials[1] must be a non-empty string"},
  {R"({"script_name":"post","serials":["s1",2],"script_config":{}})",
   ec::invalid_params, "serials[1] must be a non-empty string"},
  {R"({"script_name":"post","serials":["s1","s2","s1"],"script_config":{}})",
   ec::invalid_params, "serials lists 's1' twice"},
  {R"({"script_name":"post","usernames":["u","u"],"script_config":{}})",
   ec::invalid_params, "usernames lists 'u' twice"},
  {R"({"script_name":"post","usernames":[],"script_config":{}})",
   ec::invalid_params, "usernames must be a non-empty array of strings"},
  {R"({"script_name":"post","serials":["s"],"usernames":["u"],)"
   R"("script_config":{}})",
   ec::invalid_params, "exactly one of serials, usernames or groups"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("enable_multi_account":"yes"})",
   ec::invalid_params, "enable_multi_account must be a boolean"},
  {R"({"script_name":"post","usernames":["u"],"script_config":{},)"
   R"("enable_multi_account":true})",
   ec::invalid_params, "enable_multi_account is only allowed with serials"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("start_time":"25:61"})",
   ec::invalid_params, "start_time must be HH:MM"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("start_time":930})",
   ec::invalid_params, "start_time must be a string"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("min_interval":-1})",
   ec::invalid_params, "min_interval must be a non-negative integer"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("max_interval":1.5})",
   ec::invalid_params, "max_interval must be a non-negative integer"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("max_interval":"5"})",
   ec::invalid_params, "max_interval must be a non-negative integer"},
  {R"({"script_name":"post","serials":["s"],"script_config":{},)"
   R"("min_interval":5})",
   ec::invalid_params, "min_interval must be <= max_interval"},
  {R"({"script_name":"post","serials":["s"]})", ec::invalid_params,
   "script_config is required"},
  {R"({"script_name":"post","serials":["s"],"script_config":[]})",
   ec::invalid_params, "script_config must be an object"},
  {R"({"script_name":"post","serials":["s"],)"
   R"("script_config":{"content_type":3}})",
   ec::invalid_params, "script_config.content_type must be 0 or 1"},
  {R"({"script_name":"follow","serials":["s"],"script_config":{}})",
   ec::invalid_params, "script_config.target_users"},
};

BOOST_AUTO_TEST_CASE(create_request_errors) {
  for (const auto& c : create_cases) {
    BOOST_TEST_CONTEXT(c.body) {
      auto p = parse(c.body);
      BOOST_TEST((p.error.code == c.code));
      BOOST_TEST(contains(p.error.message, c.message), p.error.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(create_request_refuses_deep_nesting) {
  std::string deep = R"({"script_name":"post","serials":["s"],)"
                     R"("script_config":{"x":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}}";
  auto p = parse(deep);
  BOOST_TEST((p.error.code == ec::invalid_params));
  BOOST_TEST(contains(p.error.message, "nests deeper"));
  // Brackets inside strings are text, not nesting.
  auto text = parse(R"({"script_name":"post","serials":["s"],)"
                    R"("script_config":{"captions":")"
                    + std::string(1000, '[') + "\\\"\"}}");
  BOOST_TEST(!text.error, text.error.message);
}

BOOST_AUTO_TEST_CASE(fingerprint_is_fnv1a_64) {
  BOOST_TEST(body_fingerprint("") == "cbf29ce484222325");
  BOOST_TEST(body_fingerprint("a") == "af63dc4c8601ec8c");
  BOOST_TEST(body_fingerprint("{\"a\":1}") != body_fingerprint("{\"a\":2}"));
  BOOST_TEST(body_fingerprint("{\"a\":1}").size() == 16u);
}

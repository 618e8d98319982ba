// Unit tests of the script_config rules beyond the tables
// (model/script_checks.hpp: comment's post URLs and comment, account_warmup's
// ChatGPT settings) and comment's fan-out. The secrets' masking and
// redaction are in tests/script_secrets.cpp (same suite).
#define BOOST_TEST_MODULE script_config
#include <boost/test/unit_test.hpp>

#include "model/create_request.hpp"
#include "model/script_checks.hpp"
#include "model/script_config.hpp"
#include "model/task_plan.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>
#include <vector>

using namespace tmx;

namespace {

struct checked {
  api_error error;
  std::string config; // compact, after defaults
};

checked validate(const char* script, const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), json);
  checked out{validate_script_config(script, doc, doc.GetAllocator()), {}};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  out.config = buf.GetString();
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A 2026-11-29T10:00Z "now"; the time plays no part here.
constexpr millis now = 1'795'946'400'000;

create_request parsed(const std::string& body) {
  create_request out;
  auto err = parse_create_request(body, now, out);
  BOOST_REQUIRE_MESSAGE(!err, err.message);
  return out;
}

const std::string url_a = "https://www.tiktok.com/@a/video/1";
const std::string url_b = "https://www.tiktok.com/@b/video/2";
const std::string url_c = "http://vm.tiktok.com/ZMabc/";

} // namespace

// -- is_http_url --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(http_urls) {
  for (const char* ok :
       {"https://www.tiktok.com/@a/video/1", "http://vm.tiktok.com/ZMabc/",
        "HTTPS://EXAMPLE.COM", "https://h", "https://h:8080/p?q=1#top",
        "https://user@h/p", "https://[::1]:443/x", "https://h?x",
        "https://h#frag", "https://www.tiktok.com/@café/video/1"})
    BOOST_TEST(is_http_url(ok), ok);
  for (const char* bad :
       {"", "www.tiktok.com/@a/video/1", "ftp://h/x", "https://", "https:///p",
        "https://:80/p", "https://h:/p", "https://h:8o/p", "https://[::1/p",
        "https://[]/p", "https://[::1]x/p", "https://h/a b", "https://h/a\tb",
        " https://h/", "https://h/\x7f", "javascript:alert(1)", "https:/h/p",
        "https://user@/p"})
    BOOST_TEST(!is_http_url(bad), bad);
}

// -- comment ------------------------------------------------------------------

struct rule_case {
  const char* script;
  std::string config;
  const char* error; // "" = must pass; else the start of the message
};

const rule_case rule_cases[] = {
  // comment: targets
  {"comment", R"({"comment_content":"hi"})",
   "script_config.target_post_urls (or target_post_url) must name at least "
   "one post URL"},
  {"comment", R"({"target_post_urls":[],"comment_content":"hi"})",
   "script_config.target_post_urls (or target_post_url) must name"},
  {"comment", R"({"target_post_urls":[" ",""],"comment_content":"hi"})",
   "script_config.target_post_urls (or target_post_url) must name"},
  {"comment", R"({"target_post_url":" ,\n ","comment_content":"hi"})",
   "script_config.target_post_urls (or target_post_url) must name"},
  {"comment", R"({"target_post_urls":"https://h/1","comment_content":"hi"})",
   "script_config.target_post_urls must be an array of strings"},
  {"comment", R"({"target_post_urls":["https://h/1",2],"comment_content":"x"})",
   "script_config.target_post_urls must be an array of strings"},
  {"comment", R"({"target_post_url":["https://h/1"],"comment_content":"x"})",
   "script_config.target_post_url must be a string"},
  {"comment",
   R"({"target_post_urls":["https://h/1","h/2"],)"
   R"("comment_content":"x"})",
   "script_config.target_post_urls[1] must be an http(s) URL"},
  {"comment", R"({"target_post_urls":["","ftp://h/2"],"comment_content":"x"})",
   "script_config.target_post_urls[1] must be an http(s) URL"},
  {"comment",
   R"({"target_post_url":"https://h/1, www.h.com/2",)"
   R"("comment_content":"x"})",
   "script_config.target_post_url must hold http(s) URLs (split on newlines "
   "and commas): \"www.h.com/2\" is not one"},
  {"comment", R"({"target_post_urls":["https://h/1"],"comment_content":"x"})",
   ""},
  {"comment", R"({"target_post_url":"https://h/1","comment_content":"x"})", ""},
  // comment: the comment
  {"comment", R"({"target_post_url":"https://h/1"})",
   "script_config.comment_content is required"},
  {"comment", R"({"target_post_url":"https://h/1","comment_content":null})",
   "script_config.comment_content is required"},
  {"comment", R"({"target_post_url":"https://h/1","comment_content":""})",
   "script_config.comment_content is required"},
  {"comment", R"({"target_post_url":"https://h/1","comment_content":" \n "})",
   "script_config.comment_content is required"},
  {"comment", R"({"target_post_url":"https://h/1","comment_content":7})",
   "script_config.comment_content must be a string"},
  // comment: the others
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("comment_order":"shuffle"})",
   R"(script_config.comment_order must be one of "random", "sequential")"},
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("comment_order":"sequential"})",
   ""},
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("insert_emoji":1})",
   "script_config.insert_emoji must be true or false"},
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("insert_emoji":true})",
   ""},
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("comment_image_path":false})",
   "script_config.comment_image_path must be a string"},
  {"comment",
   R"({"target_post_url":"https://h/1","comment_content":"x",)"
   R"("comment_image_path":"/sdcard/a.jpg"})",
   ""},
  // account_warmup: ChatGPT
  {"account_warmup", R"({"generate_by_chatgpt":"yes"})",
   "script_config.generate_by_chatgpt must be true or false"},
  {"account_warmup", R"({"generate_by_chatgpt":true})",
   "script_config.chatgpt_settings is required when generate_by_chatgpt is "
   "true"},
  {"account_warmup", R"({"generate_by_chatgpt":true,"chatgpt_settings":null})",
   "script_config.chatgpt_settings is required"},
  {"account_warmup", R"({"generate_by_chatgpt":true,"chatgpt_settings":"k"})",
   "script_config.chatgpt_settings must be an object"},
  {"account_warmup", R"({"chatgpt_settings":[]})",
   "script_config.chatgpt_settings must be an object"},
  {"account_warmup", R"({"generate_by_chatgpt":true,"chatgpt_settings":{}})",
   "script_config.chatgpt_settings.api_key is required (a non-empty string) "
   "when generate_by_chatgpt is true"},
  {"account_warmup",
   R"({"generate_by_chatgpt":true,"chatgpt_settings":{"api_key":""}})",
   "script_config.chatgpt_settings.api_key is required"},
  {"account_warmup",
   R"({"generate_by_chatgpt":true,"chatgpt_settings":{"api_key":null}})",
   "script_config.chatgpt_settings.api_key is required"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":5}})",
   "script_config.chatgpt_settings.api_key must be a string"},
  {"account_warmup",
   R"({"generate_by_chatgpt":true,"chatgpt_settings":{"api_key":"***"}})",
   "script_config.chatgpt_settings.api_key must be the key itself, not the "
   "mask"},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"sk-1","api_key":"sk-2"}})",
   "script_config.chatgpt_settings gives 'api_key' twice"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","model":1}})",
   "script_config.chatgpt_settings.model must be a string"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","prompt":[]}})",
   "script_config.chatgpt_settings.prompt must be a string"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","max_tokens":0}})",
   "script_config.chatgpt_settings.max_tokens must be an integer >= 1"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","max_tokens":1.5}})",
   "script_config.chatgpt_settings.max_tokens must be an integer >= 1"},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"k","max_tokens":"100"}})",
   "script_config.chatgpt_settings.max_tokens must be an integer >= 1"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","max_tokens":1}})",
   ""},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"k","temperature":2.01}})",
   "script_config.chatgpt_settings.temperature must be a number 0-2"},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"k","temperature":-0.1}})",
   "script_config.chatgpt_settings.temperature must be a number 0-2"},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"k","temperature":"1"}})",
   "script_config.chatgpt_settings.temperature must be a number 0-2"},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","temperature":2}})",
   ""},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","temperature":0}})",
   ""},
  {"account_warmup",
   R"({"chatgpt_settings":{"api_key":"k","temperature":1.25}})", ""},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":"k","base_url":9}})",
   "script_config.chatgpt_settings.base_url must be a string"},
  // Off: the settings are checked as given, but need no key.
  {"account_warmup", R"({"chatgpt_settings":{}})", ""},
  {"account_warmup", R"({"chatgpt_settings":{"api_key":""}})", ""},
  {"account_warmup",
   R"({"generate_by_chatgpt":false,"chatgpt_settings":{"max_tokens":0}})",
   "script_config.chatgpt_settings.max_tokens must be"},
  {"account_warmup",
   R"({"generate_by_chatgpt":true,"chatgpt_settings":{"api_key":"sk-x"}})", ""},
};

BOOST_AUTO_TEST_CASE(every_comment_and_chatgpt_rule) {
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

BOOST_AUTO_TEST_CASE(comment_defaults_and_urls) {
  auto c = validate("comment", R"({"target_post_urls":[" )" + url_a
                                 + R"( "],"comment_content":"great"})");
  BOOST_TEST(!c.error, c.error.message);
  BOOST_TEST(c.config
             == R"({"target_post_urls":[")" + url_a
                  + R"("],"comment_content":"great",)"
                    R"("comment_order":"random","insert_emoji":false,)"
                    R"("comment_image_path":""})");
  // Split on newlines and commas, trimmed, empties and repeats dropped.
  auto split = validate("comment", R"({"target_post_url":")" + url_a + R"(,\n )"
                                     + url_b + " ,," + url_a + R"(\r\n)" + url_c
                                     + R"(","comment_content":"x"})");
  BOOST_TEST(!split.error, split.error.message);
  BOOST_TEST(contains(split.config, R"("target_post_urls":[")" + url_a
                                      + R"(",")" + url_b + R"(",")" + url_c
                                      + R"("])"));
  // The array wins over the text; an array naming none leaves it to the text.
  auto both = validate("comment", R"({"target_post_urls":[")" + url_b
                                    + R"("],"target_post_url":")" + url_a
                                    + R"(","comment_content":"x"})");
  BOOST_TEST(
    contains(both.config, R"("target_post_urls":[")" + url_b + R"("])"));
  auto empty = validate("comment", R"({"target_post_urls":[""],)"
                                   R"("target_post_url":")"
                                     + url_a + R"(","comment_content":"x"})");
  BOOST_TEST(
    contains(empty.config, R"("target_post_urls":[")" + url_a + R"("])"));
  // Given values stay as given.
  auto given = validate("comment", R"({"target_post_url":")" + url_a
                                     + R"(","comment_content":"a\nb",)"
                                       R"("comment_order":"sequential",)"
                                       R"("insert_emoji":true,)"
                                       R"("comment_image_path":"/i.jpg"})");
  BOOST_TEST(contains(given.config, R"("comment_order":"sequential")"));
  BOOST_TEST(contains(given.config, R"("insert_emoji":true)"));
  BOOST_TEST(contains(given.config, R"("comment_image_path":"/i.jpg")"));
}

BOOST_AUTO_TEST_CASE(bad_url_message_quotes_a_bounded_excerpt) {
  std::string long_part(100, 'x');
  long_part += "\xc3\xa9"; // a two-byte character: never cut in two
  auto got = validate("comment", R"({"target_post_url":")" + long_part
                                   + R"(","comment_content":"x"})");
  BOOST_TEST(contains(got.error.message,
                      "\"" + std::string(60, 'x') + "...\" is not one"));
  std::string at_boundary(59, 'x');
  at_boundary += "\xc3\xa9yyyy";
  got = validate("comment", R"({"target_post_url":")" + at_boundary
                              + R"(","comment_content":"x"})");
  BOOST_TEST(contains(got.error.message,
                      "\"" + std::string(59, 'x') + "...\" is not one"));
}

BOOST_AUTO_TEST_CASE(chatgpt_defaults_are_stored) {
  auto on = validate("account_warmup",
                     R"({"generate_by_chatgpt":true,)"
                     R"("chatgpt_settings":{"api_key":"k"}})");
  BOOST_TEST(!on.error, on.error.message);
  BOOST_TEST(contains(on.config,
                      R"("chatgpt_settings":{"api_key":"k",)"
                      R"("model":"gpt-3.5-turbo","prompt":"","max_tokens":100,)"
                      R"("temperature":0.7,"base_url":""})"));
  auto given = validate("account_warmup",
                        R"({"chatgpt_settings":{"api_key":"k","model":"m",)"
                        R"("prompt":"p","max_tokens":5,"temperature":1,)"
                        R"("base_url":"https://llm.example/v1","x":[1]}})");
  BOOST_TEST(contains(given.config,
                      R"("chatgpt_settings":{"api_key":"k","model":"m",)"
                      R"("prompt":"p","max_tokens":5,"temperature":1,)"
                      R"("base_url":"https://llm.example/v1","x":[1]})"));
  BOOST_TEST(contains(given.config, R"("generate_by_chatgpt":false)"));
  auto off = validate("account_warmup", "{}");
  BOOST_TEST(contains(off.config, R"("generate_by_chatgpt":false)"));
  BOOST_TEST(!contains(off.config, "chatgpt_settings"));
  // A stored config passes again unchanged (defaults are applied once).
  auto again = validate("account_warmup", on.config);
  BOOST_TEST(!again.error);
  BOOST_TEST(again.config == on.config);
}

// -- comment's fan-out --------------------------------------------------------

BOOST_AUTO_TEST_CASE(comment_fans_out_per_post_url) {
  auto r = parsed(R"({"serials":["s1","s2"],"script_name":"comment",)"
                  R"("script_config":{"target_post_urls":[")"
                  + url_a + R"(",")" + url_b + R"(",")" + url_c
                  + R"("],"target_post_url":"https://x/y","comment_content":)"
                    R"("nice","k":1}})");
  BOOST_REQUIRE(r.configs.size() == 3u);
  std::vector<std::string> want{url_a, url_b, url_c};
  for (size_t i = 0; i < 3; ++i)
    BOOST_TEST(r.configs[i]
               == R"({"target_post_urls":[")" + want[i]
                    + R"("],"comment_content":"nice","k":1,)"
                      R"("comment_order":"random","insert_emoji":false,)"
                      R"("comment_image_path":""})");
  // 3 URLs x 2 devices = 6 tasks, each with one URL.
  account_registry accounts;
  plan_context ctx;
  ctx.known_device = [](const std::string&) { return true; };
  ctx.accounts = &accounts;
  ctx.now = now;
  std::mt19937_64 rng(1);
  auto plan = plan_tasks(r, "api", ctx, rng);
  BOOST_REQUIRE(!plan.error);
  BOOST_REQUIRE(plan.tasks.size() == 6u);
  for (size_t i = 0; i < 6; ++i) {
    auto& t = plan.tasks[i];
    BOOST_TEST(t.serial == (i < 3 ? "s1" : "s2"));
    BOOST_TEST(t.script_name == "comment");
    BOOST_TEST(contains(t.script_config,
                        R"({"target_post_urls":[")" + want[i % 3] + R"("])"));
    BOOST_TEST(!contains(t.script_config, "target_post_url\""));
  }
  // From the text, per account.
  auto text = parsed(R"({"usernames":["u"],"script_name":"comment",)"
                     R"("script_config":{"target_post_url":")"
                     + url_a + R"(\n)" + url_b
                     + R"(","comment_content":"x"}})");
  BOOST_REQUIRE(text.configs.size() == 2u);
  BOOST_TEST(text.configs[1]
             == R"({"comment_content":"x","comment_order":"random",)"
                R"("insert_emoji":false,"comment_image_path":"",)"
                R"("target_post_urls":[")"
                  + url_b + R"("]})");
  auto rule = fan_out_of("comment");
  BOOST_TEST(rule.list == "target_post_urls");
  BOOST_TEST(rule.folded[0] == "target_post_url");
  BOOST_TEST(fan_out_of("post").list.empty());
}

BOOST_AUTO_TEST_CASE(comment_create_errors_name_the_field) {
  create_request out;
  auto err = parse_create_request(
    R"({"serials":["s"],"script_name":"comment","script_config":)"
    R"({"target_post_urls":[")"
      + url_a + R"(","nope"],"comment_content":"x"}})",
    now, out);
  BOOST_TEST((err.code == ec::invalid_params));
  BOOST_TEST(err.message
             == "script_config.target_post_urls[1] must be an http(s) URL");
  err = parse_create_request(R"({"serials":["s"],"script_name":"comment",)"
                             R"("script_config":{"target_post_url":")"
                               + url_a + R"("}})",
                             now, out);
  BOOST_TEST(err.message.rfind("script_config.comment_content is required", 0)
             == 0);
}

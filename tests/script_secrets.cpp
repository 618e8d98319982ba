// Unit tests of model/secrets.hpp (same suite as tests/script_config.cpp):
// a config's API key masked as the task object renders it, kept in the
// stored config the script gets, and redacted from what the script prints.
#include <boost/test/unit_test.hpp>

#include "model/create_request.hpp"
#include "model/secrets.hpp"
#include "model/task_json.hpp"

#include <string>
#include <vector>

using namespace tmx;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr millis now = 1'795'946'400'000;

const std::string key = "sk-proj-9f8e7d6c5b4a";

std::string warmup_config(const std::string& api_key) {
  return R"({"task_duration":60,"generate_by_chatgpt":true,)"
         R"("chatgpt_settings":{"api_key":")"
         + api_key + R"(","model":"gpt-4o","temperature":0.7},"topic":"t"})";
}

} // namespace

BOOST_AUTO_TEST_CASE(masked_config_hides_the_key_only) {
  auto masked = masked_config(warmup_config(key));
  BOOST_REQUIRE(masked.has_value());
  BOOST_TEST(*masked == warmup_config("***"));
  BOOST_TEST(!contains(*masked, key));
  // Nothing to hide: rendered as stored.
  BOOST_TEST(!masked_config(R"({"captions":"hi"})"));
  BOOST_TEST(!masked_config(""));
  BOOST_TEST(!masked_config("{}"));
  BOOST_TEST(!masked_config(R"({"chatgpt_settings":{"api_key":""}})"));
  BOOST_TEST(!masked_config(R"({"api_key":"top-level"})"));
  BOOST_TEST(!masked_config(R"({"chatgpt_settings":{"api_key":)"));
  // An escape that spells the name, and a key given twice: both hidden.
  auto escaped = masked_config(R"({"chatgpt_settings":{"api\u005fkey":"s1"}})");
  BOOST_REQUIRE(escaped.has_value());
  BOOST_TEST(*escaped == R"({"chatgpt_settings":{"api_key":"***"}})");
  auto twice = masked_config(
    R"({"chatgpt_settings":{"api_key":"s1","api_key":"s2"},)"
    R"("chatgpt_settings":{"api_key":"s3"}})");
  BOOST_REQUIRE(twice.has_value());
  BOOST_TEST(!contains(*twice, "s1"));
  BOOST_TEST(!contains(*twice, "s2"));
  BOOST_TEST(!contains(*twice, "s3"));
  // Long numbers are written back as they were.
  auto numbers = masked_config(
    R"({"x":0.30000000000000004,"n":9007199254740993,)"
    R"("chatgpt_settings":{"api_key":"k"}})");
  BOOST_REQUIRE(numbers.has_value());
  BOOST_TEST(*numbers
             == R"({"x":0.30000000000000004,"n":9007199254740993,)"
                R"("chatgpt_settings":{"api_key":"***"}})");
}

BOOST_AUTO_TEST_CASE(the_task_object_masks_the_key) {
  task t;
  t.id = 7;
  t.serial = "s";
  t.script_name = "account_warmup";
  t.script_config = warmup_config(key);
  auto json = task_json(t, now);
  BOOST_TEST(!contains(json, key));
  BOOST_TEST(contains(json, R"("script_config":)" + warmup_config("***")));
  // The record keeps it: the script needs it.
  BOOST_TEST(contains(t.script_config, key));
  t.script_config = R"({"captions":"hi"})";
  BOOST_TEST(
    contains(task_json(t, now), R"("script_config":{"captions":"hi"})"));
  t.script_config.clear();
  BOOST_TEST(contains(task_json(t, now), R"("script_config":{})"));
}

BOOST_AUTO_TEST_CASE(the_stored_config_keeps_the_key) {
  create_request r;
  auto err = parse_create_request(
    R"({"serials":["s"],"script_name":"account_warmup","script_config":)"
      + warmup_config(key) + "}",
    now, r);
  BOOST_REQUIRE_MESSAGE(!err, err.message);
  BOOST_REQUIRE(r.configs.size() == 1u);
  BOOST_TEST(contains(r.configs[0], R"("api_key":")" + key + "\""));
  // What the runner writes to the script's stdin is the stored config.
  BOOST_TEST(secrets_of(r.configs[0]) == std::vector<std::string>{key});
}

BOOST_AUTO_TEST_CASE(printed_secrets_are_redacted) {
  auto secrets = secrets_of(warmup_config(key));
  BOOST_TEST(redacted("using " + key + " twice: " + key + ".", secrets)
             == "using *** twice: ***.");
  BOOST_TEST(redacted("::remark bad key " + key, secrets)
             == "::remark bad key ***");
  BOOST_TEST(redacted("nothing here", secrets) == "nothing here");
  BOOST_TEST(redacted("sk-proj-", secrets) == "sk-proj-");
  BOOST_TEST(secrets_of(R"({"captions":"hi"})").empty());
  BOOST_TEST(secrets_of(R"({"chatgpt_settings":{"api_key":""}})").empty());
  // A key with characters JSON escapes: printed raw or as JSON, both go.
  auto odd = secrets_of(R"({"chatgpt_settings":{"api_key":"a\"b\\c"}})");
  BOOST_TEST(odd.size() == 2u);
  BOOST_TEST(redacted(R"(raw a"b\c json "a\"b\\c")", odd)
             == R"(raw *** json "***")");
  // A key that holds the mask cannot loop.
  auto starry = secrets_of(R"({"chatgpt_settings":{"api_key":"*"}})");
  BOOST_TEST(redacted("a*b", starry) == "a***b");
}

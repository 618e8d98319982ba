// HTTP API tests of the scripts that need more than a table of rules:
// comment (one task per post URL, its errors, a simulated run) and
// account_warmup with ChatGPT (defaults stored, the API key shown masked).
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

using namespace tmx::test;

namespace {

const std::string post_1 = "https://www.tiktok.com/@a/video/1";
const std::string post_2 = "https://www.tiktok.com/@b/video/2";
const std::string post_3 = "https://vm.tiktok.com/ZMabc/";

} // namespace

BOOST_FIXTURE_TEST_CASE(comment_fans_out_per_post_url, api_server) {
  // (serial, username, url) of each task; "" for null.
  using unit = fan_out_unit;
  auto by_text = R"({"target_post_url":")" + post_1 + R"(, )" + post_2 + R"(\n)"
                 + post_3 + R"(\n)" + post_1
                 + R"(","comment_content":"nice\nwow"})";
  auto by_list
    = R"({"target_post_urls":[")" + post_1 + R"(",")" + post_2
      + R"("],"target_post_url":"https://ignored/","comment_content":"x"})";
  struct fan_out_case {
    std::string body;
    std::vector<unit> tasks;
  };
  std::vector<fan_out_case> cases{
    {task_body(serials({"sim-0001", "sim-0002"}), "comment", by_text), {}},
    {task_body(serials({"sim-0003"}), "comment", by_list, multi_account),
     {{"sim-0003", "sim-0003-a", post_1},
      {"sim-0003", "sim-0003-a", post_2},
      {"sim-0003", "sim-0003-b", post_1},
      {"sim-0003", "sim-0003-b", post_2}}},
    {task_body(usernames({"sim-0004-b"}), "comment", by_list),
     {{"sim-0004", "sim-0004-b", post_1}, {"sim-0004", "sim-0004-b", post_2}}},
  };
  for (auto serial : {"sim-0001", "sim-0002"})
    for (auto& url : {post_1, post_2, post_3})
      cases[0].tasks.emplace_back(serial, "", url);
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.body) {
      check_fan_out(
        *this, c.body, c.tasks, "target_post_urls", {"target_post_url"},
        [](const rapidjson::Value& config) {
          BOOST_TEST(text_of(member(config, "comment_order")) == "random");
          BOOST_TEST(member(config, "insert_emoji").IsFalse());
          BOOST_TEST(text_of(member(config, "comment_image_path")) == "");
        });
    }
}

BOOST_FIXTURE_TEST_CASE(comment_errors_name_the_field, api_server) {
  auto one = serials({"sim-0001"});
  std::string content = R"("comment_content":"x")";
  check_errors(
    *this,
    {
      bad_create(task_body(one, "comment", std::string("{") + content + "}"),
                 "script_config.target_post_urls (or target_post_url)"),
      bad_create(task_body(one, "comment",
                           R"({"target_post_urls":[")" + post_1
                             + R"(","www.tiktok.com/@b"],)" + content + "}"),
                 "script_config.target_post_urls[1] must be an http(s) URL"),
      bad_create(task_body(one, "comment",
                           R"({"target_post_url":"ftp://h/1",)" + content
                             + "}"),
                 "script_config.target_post_url must hold http(s) URLs"),
      bad_create(task_body(one, "comment",
                           R"({"target_post_url":")" + post_1 + R"("})"),
                 "script_config.comment_content is required"),
      bad_create(task_body(one, "comment",
                           R"({"target_post_url":")" + post_1
                             + R"(","comment_content":"x",)"
                               R"("comment_order":"first"})"),
                 "script_config.comment_order"),
      bad_create(task_body(one, "account_warmup",
                           R"({"generate_by_chatgpt":true})"),
                 "script_config.chatgpt_settings is required"),
      bad_create(task_body(one, "account_warmup",
                           R"({"generate_by_chatgpt":true,)"
                           R"("chatgpt_settings":{"model":"m"}})"),
                 "script_config.chatgpt_settings.api_key is required"),
      bad_create(task_body(one, "account_warmup",
                           R"({"chatgpt_settings":{"api_key":"k",)"
                           R"("temperature":3}})"),
                 "script_config.chatgpt_settings.temperature"),
    });
  BOOST_TEST(count(stats_matching_list(*this), "total") == 0);
}

BOOST_FIXTURE_TEST_CASE(comment_runs_in_the_simulator, api_server) {
  auto id = create_one(*this, task_body(serials({"sim-0002"}), "comment",
                                        R"({"target_post_url":")" + post_1
                                          + R"(","comment_content":"hi"})"));
  BOOST_REQUIRE(reaches(*this, id, 2));
  std::vector<std::string> texts;
  for (auto& line : run_log_of(*this, id))
    texts.push_back(line.text);
  for (auto step :
       {"opening the post", "writing the comment", "posting the comment"})
    BOOST_TEST((std::find(texts.begin(), texts.end(), step) != texts.end()),
               step);
}

BOOST_FIXTURE_TEST_CASE(chatgpt_settings_are_stored_with_the_key_masked,
                        api_server) {
  auto id = create_one(*this,
                       task_body(serials({"sim-0001"}), "account_warmup",
                                 R"({"generate_by_chatgpt":true,)"
                                 R"("chatgpt_settings":{"api_key":"sk-hidden",)"
                                 R"("max_tokens":50}})",
                                 later));
  auto r = task_of(*this, id);
  BOOST_TEST(r.text.find("sk-hidden") == std::string::npos, r.text);
  auto& config = member(r.data(), "script_config");
  BOOST_TEST(member(config, "generate_by_chatgpt").IsTrue());
  auto& settings = member(config, "chatgpt_settings");
  BOOST_TEST(text_of(member(settings, "api_key")) == "***");
  BOOST_TEST(text_of(member(settings, "model")) == "gpt-3.5-turbo");
  BOOST_TEST(text_of(member(settings, "prompt")) == "");
  BOOST_TEST(int_of(member(settings, "max_tokens")) == 50);
  auto& temperature = member(settings, "temperature");
  BOOST_TEST((temperature.IsNumber() && temperature.GetDouble() == 0.7));
  BOOST_TEST(text_of(member(settings, "base_url")) == "");
  // Sending the mask back (a copied task) is refused: it is no key.
  auto copied = post("/api/v1/task",
                     task_body(serials({"sim-0001"}), "account_warmup",
                               to_json(config)));
  check_error(copied, 400, 40001, "not the mask");
  // Stop and retry reply with the task object: masked too.
  auto stopped = acted(*this, id, "stop");
  BOOST_TEST(stopped.text.find("sk-hidden") == std::string::npos);
  auto retried = acted(*this, id, "retry");
  BOOST_TEST(retried.text.find("sk-hidden") == std::string::npos);
  BOOST_TEST(list(*this).text.find("sk-hidden") == std::string::npos);
}

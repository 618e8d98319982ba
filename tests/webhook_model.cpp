// Unit tests of the webhooks' pure parts: the registration body and url
// (model/webhook_request), the signature (model/webhook_signature) and the
// retry arithmetic and record of attempts (model/delivery_log).
#define BOOST_TEST_MODULE webhook_model
#include <boost/test/unit_test.hpp>

#include "model/delivery_log.hpp"
#include "model/webhook_request.hpp"
#include "model/webhook_signature.hpp"

#include <string>
#include <vector>

using namespace tmx;
using namespace std::chrono_literals;

namespace {

const std::string key16 = "0123456789abcdef";

/// The message of parsing `body` ("" when it parses).
std::string error_of(const std::string& body) {
  webhook w;
  return parse_webhook_request(body, w).message;
}

std::string with(const std::string& members) {
  return "{\"url\":\"http://h/x\",\"secret\":\"" + key16 + "\"," + members
         + "}";
}

} // namespace

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc_4231) {
  // RFC 4231 test case 2: a short key, and test case 1: 20 bytes of 0x0b.
  BOOST_TEST(hmac_sha256_hex("Jefe", "what do ya want for nothing?")
             == "5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843");
  BOOST_TEST(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There")
             == "b0344c61d8db38535ca8afceaf0bf12b"
                "881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(webhook_signature("Jefe", "what do ya want for nothing?")
             == "sha256=5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843");
  // Empty key and body are valid input (HMAC of nothing with nothing).
  BOOST_TEST(hmac_sha256_hex("", "")
             == "b613679a0814d9ec772f95d778c35fc5"
                "ff1697c493715653c6c712144292c5ad");
}

BOOST_AUTO_TEST_CASE(webhook_urls) {
  std::string why;
  auto u = parse_webhook_url("http://127.0.0.1:8080/hook?a=1", why);
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(!u->https);
  BOOST_TEST(u->host == "127.0.0.1");
  BOOST_TEST(u->port == 8080);
  BOOST_TEST(u->target == "/hook?a=1");
  u = parse_webhook_url("HTTPS://example.com", why);
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(u->https);
  BOOST_TEST(u->port == 443);
  BOOST_TEST(u->target == "/");
  u = parse_webhook_url("http://example.com?x", why);
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(u->port == 80);
  BOOST_TEST(u->target == "/?x");
  u = parse_webhook_url("http://[::1]:9000/h", why);
  BOOST_REQUIRE(u.has_value());
  BOOST_TEST(u->host == "::1");
  BOOST_TEST(u->port == 9000);
  for (std::string bad :
       {"", "ftp://h/", "h/x", "http://", "http:///x", "http://:80/x",
        "http://h:/x", "http://h:0/", "http://h:65536/", "http://h:8o/",
        "http://u@h/", "http://h/a b", "http://h/\x01", "http://h/#f",
        "http://[::1/x", "http://[zz]/x", "http://h/\xc3\xa4"})
    BOOST_TEST_CONTEXT(bad) {
      why.clear();
      BOOST_TEST(!parse_webhook_url(bad, why).has_value());
      BOOST_TEST(why.rfind("url ", 0) == 0, why);
    }
  BOOST_TEST(
    !parse_webhook_url("http://h/" + std::string(max_webhook_url, 'x'), why));
  BOOST_TEST(why.find("2048") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(registration_bodies) {
  webhook w;
  auto err = parse_webhook_request(
    R"({"url":"https://h.example/in","secret":")" + key16
      + R"(","events":["task.failed","device.updated","task.failed"],"x":1})",
    w);
  BOOST_TEST(!err, err.message);
  BOOST_TEST(w.url == "https://h.example/in");
  BOOST_TEST(w.secret == key16);
  BOOST_TEST(
    (w.events
     == std::vector{event_type::task_failed, event_type::device_updated}));
  // Default (absent or null): every task event, and no other.
  for (auto body : {R"({"url":"http://h/x","secret":")" + key16 + "\"}",
                    with("\"events\":null")}) {
    webhook d;
    BOOST_TEST(!parse_webhook_request(body, d));
    BOOST_TEST(d.events.size() == 6u);
    for (auto t : d.events)
      BOOST_TEST(is_task_event(t));
  }
  // A secret counts characters, not bytes.
  std::string umlauts;
  for (int i = 0; i < 16; ++i)
    umlauts += "\xc3\xa4";
  BOOST_TEST(error_of(R"({"url":"http://h/x","secret":")" + umlauts + "\"}")
             == "");
  BOOST_TEST(
    error_of(R"({"url":"http://h/x","secret":")" + umlauts.substr(2) + "\"}")
    == "secret must be a string of at least 16 characters");
}

BOOST_AUTO_TEST_CASE(registration_errors_name_the_field) {
  struct bad_case {
    std::string body, message;
  };
  for (auto& [body, message] : std::vector<bad_case>{
         {"[1]", "body must be a JSON object"},
         {"{", "body is not valid JSON"},
         {R"({"secret":")" + key16 + "\"}", "url is required"},
         {R"({"url":1,"secret":")" + key16 + "\"}", "url must be a string"},
         {R"({"url":"mailto:x","secret":")" + key16 + "\"}",
          "url must start with http:// or https://"},
         {with(R"("events":[])"),
          "events must be a non-empty array of event types"},
         {with(R"("events":{})"),
          "events must be a non-empty array of event types"},
         {with(R"("events":[true])"), "events[0] must be a string"},
         {with(R"("events":["task.created","TASK.FAILED"])"),
          "events[1] must be an event type (task.created, "},
         {R"({"url":"http://h/x"})",
          "secret is required: a string of at least 16 characters"},
         {R"({"url":"http://h/x","secret":"123456789012345"})",
          "secret must be a string of at least 16 characters"},
         {R"({"url":"http://h/x","secret":["0123456789abcdef"]})",
          "secret must be a string of at least 16 characters"},
       })
    BOOST_TEST_CONTEXT(body) {
      webhook w;
      auto err = parse_webhook_request(body, w);
      BOOST_TEST((err.code == ec::invalid_params));
      BOOST_TEST(err.message.rfind(message, 0) == 0, err.message);
    }
}

BOOST_AUTO_TEST_CASE(webhook_ids_and_wants) {
  uint64_t id = 0;
  BOOST_TEST(parse_webhook_id("12", id));
  BOOST_TEST(id == 12u);
  for (auto bad : {"", "0", "-1", "1a", "+3", " 1"})
    BOOST_TEST(!parse_webhook_id(bad, id), bad);
  webhook w;
  w.events = {event_type::task_completed};
  BOOST_TEST(wants(w, event_type::task_completed));
  BOOST_TEST(!wants(w, event_type::task_created));
}

BOOST_AUTO_TEST_CASE(backoff_doubles_to_its_bound_and_gives_up_after) {
  std::vector<std::chrono::milliseconds> waits{1000ms};
  while (waits.size() < 12)
    waits.push_back(next_backoff(waits.back(), 600000ms));
  BOOST_TEST(waits[1].count() == 2000);
  BOOST_TEST(waits[9].count() == 512000);
  BOOST_TEST(waits[10].count() == 600000);
  BOOST_TEST(waits[11].count() == 600000);
  millis day = 86400000;
  BOOST_TEST(!past_give_up(day - 1, 0, 86400000ms));
  BOOST_TEST(past_give_up(day, 0, 86400000ms));
  BOOST_TEST(describe_duration(86400000ms) == "24h");
  BOOST_TEST(describe_duration(120000ms) == "2min");
  BOOST_TEST(describe_duration(1500ms) == "1500ms");
  BOOST_TEST(describe_duration(2000ms) == "2s");
}

BOOST_AUTO_TEST_CASE(the_log_keeps_the_last_attempts_newest_first) {
  delivery_log log(3);
  for (uint64_t i = 1; i <= 5; ++i)
    log.add({i, event_type::task_created, 1, 200, "", 0});
  auto kept = log.newest_first();
  BOOST_REQUIRE(kept.size() == 3u);
  BOOST_TEST(kept[0].event_id == 5u);
  BOOST_TEST(kept[2].event_id == 3u);
  BOOST_TEST(delivery_log{}.newest_first().empty());
}

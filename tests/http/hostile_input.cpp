// HTTP API tests of input that used to break clients or the server: strings
// that are not UTF-8, raw reserved characters in a path, a create that
// fans out too far, and a client that reaches "localhost" over IPv6.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace tmx::test;

BOOST_FIXTURE_TEST_CASE(strings_that_are_not_utf8_are_refused, api_server) {
  struct bad_body {
    std::string path;
    std::string body;
    std::string field; // the 40001 message names it
  };
  const std::string latin1 = "caf\xe9";         // Latin-1, not UTF-8
  const std::string overlong = "\xc0\xaf";      // an overlong "/"
  const std::string surrogate = "\xed\xa0\x80"; // U+D800
  std::vector<bad_body> cases{
    {"/api/v1/task",
     task_body(serials({"sim-0001"}), "post",
               "{\"captions\":\"" + latin1 + "\"}"),
     "script_config.captions"},
    {"/api/v1/task", task_body(serials({"sim-0001", overlong})), "serials[1]"},
    {"/api/v1/task",
     task_body(serials({"sim-0001"}), "post", "{\"x" + surrogate + "\":1}"),
     "script_config"},
    {"/api/v1/account", account_body("@u" + latin1, "sim-0001"), "username"},
  };
  for (auto& c : cases)
    BOOST_TEST_CONTEXT(c.field) {
      auto r = post(c.path, c.body);
      check_error(r, 400, 40001, c.field);
      BOOST_TEST(r.message().find("UTF-8") != std::string::npos, r.message());
    }
  BOOST_TEST(count(list(*this), "total") == 0);
  BOOST_TEST(count(account_list(*this), "total") == 8);
  // Valid UTF-8 of every length goes through and comes back as sent.
  const std::string mixed = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb1";
  auto id = create_one(*this,
                       task_body(serials({"sim-0001"}), "post",
                                 "{\"captions\":\"" + mixed + "\"}", later));
  auto t = task_of(*this, id);
  BOOST_TEST(text_of(member(member(t.data(), "script_config"), "captions"))
             == mixed);
}

BOOST_FIXTURE_TEST_CASE(reserved_characters_work_raw_in_a_path, api_server) {
  check_ok(put_account(*this, account_body("@shop1", "sim-0001")));
  check_ok(put_account(*this, account_body("a+b:c", "sim-0001")));
  check_ok(del("/api/v1/account/@shop1"));
  check_error(del("/api/v1/account/%40shop1"), 404, 40401);
  check_ok(put_account(*this, account_body("@shop1", "sim-0001")));
  check_ok(del("/api/v1/account/%40shop1"));
  // "+" in a path is a plus, not a blank.
  check_ok(del("/api/v1/account/a+b:c"));
  check_error(del("/api/v1/account/%zz"), 400, 40001, "username");
  check_error(del("/api/v1/account/%ff"), 400, 40001, "username");
}

BOOST_FIXTURE_TEST_CASE(a_create_makes_at_most_100000_tasks, api_server) {
  // 4 serials x 25 001 targets = 100 004 tasks after fan-out.
  std::string targets;
  for (int i = 0; i < 25'001; ++i)
    targets += (i ? "," : "") + std::string("\"u") + std::to_string(i) + "\"";
  auto body = task_body(serials(
                          {"sim-0001", "sim-0002", "sim-0003", "sim-0004"}),
                        "follow", "{\"target_users\":[" + targets + "]}");
  auto r = post("/api/v1/task", body);
  check_error(r, 400, 40001, "100004");
  BOOST_TEST(count(list(*this), "total") == 0);
}

namespace {

/// Whether this machine can listen on ::1 at all.
bool has_ipv6_loopback() {
  int s = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (s < 0)
    return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(localhost_is_served_over_ipv4_and_ipv6, api_server) {
  auto v4 = http_request(port(), "GET", "/api/v1/license/check", {}, {}, 5s,
                         "127.0.0.1");
  BOOST_TEST(v4.status == 200);
  if (!has_ipv6_loopback()) {
    BOOST_TEST_MESSAGE("no ::1 on this machine: IPv6 part skipped");
    return;
  }
  auto v6 = http_request(port(), "GET", "/api/v1/license/check", {}, {}, 5s,
                         "::1");
  BOOST_TEST(v6.status == 200);
}

// HTTP API tests of access control: http.token as a bearer token compared
// in constant time, and a non-loopback bind that needs one.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>

using namespace tmx::test;

namespace {

const std::string token = "s3cret-token-of-the-farm";

headers bearer(const std::string& t) {
  return {{"Authorization", "Bearer " + t}};
}

} // namespace

BOOST_AUTO_TEST_CASE(a_token_guards_every_api_request) {
  api_server srv(options{{"http.token", token}});
  for (auto path : {"/api/v1/task", "/api/v1/license/check", "/api/v1/device",
                    "/api/v1/nope"}) {
    BOOST_TEST_CONTEXT(path) {
      check_error(srv.get(path), 401, 40101);
      check_error(srv.send("GET", path, "", bearer("wrong")), 401, 40101);
      check_error(srv.send("GET", path, "", {{"Authorization", token}}), 401,
                  40101);
    }
  }
  check_error(srv.post("/api/v1/task", task_body(serials({"sim-0001"}))), 401,
              40101);
  BOOST_TEST(count(srv.send("GET", "/api/v1/task", "", bearer(token)), "total")
             == 0);
  check_ok(srv.send("GET", "/api/v1/license/check", "", bearer(token)));
  auto created = srv.send("POST", "/api/v1/task",
                          task_body(serials({"sim-0001"})), bearer(token));
  check_ok(created);
  BOOST_TEST(srv.log().find(token) == std::string::npos, srv.log());
}

BOOST_AUTO_TEST_CASE(a_public_bind_without_a_token_does_not_start) {
  server_process srv(base_options);
  srv.launch({{"http.address", "0.0.0.0"}});
  auto status = srv.wait_exit(20s);
  BOOST_REQUIRE_MESSAGE(status, "the server started on 0.0.0.0 without a "
                                "token");
  BOOST_TEST(*status == 1);
  BOOST_TEST(srv.log().find("http.address") != std::string::npos, srv.log());
  BOOST_TEST(srv.log().find("http.token") != std::string::npos, srv.log());
}

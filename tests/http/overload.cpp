// HTTP API tests of overload: requests beyond http.max-in-flight are
// answered 50301 with Retry-After at once and change nothing.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <future>
#include <string>

using namespace tmx::test;

namespace {

/// A create that keeps the server busy for a while: 4 devices x 24 000
/// follow targets.
std::string heavy_create() {
  std::string targets;
  for (int i = 0; i < 24'000; ++i)
    targets += (i ? "," : "") + std::string("\"u") + std::to_string(i) + "\"";
  return task_body(serials({"sim-0001", "sim-0002", "sim-0003", "sim-0004"}),
                   "follow", "{\"target_users\":[" + targets + "]}", later);
}

} // namespace

BOOST_AUTO_TEST_CASE(requests_beyond_max_in_flight_get_50301) {
  api_server srv(options{{"http.max-in-flight", "1"}});
  auto body = heavy_create();
  reply refused;
  int64_t accepted = 0; // probes served while the heavy one was not in
  std::future<reply> heavy;
  // The heavy create and the probes race for the one slot; a heavy create
  // turned away (a probe held the slot) is sent again, as Retry-After says.
  for (int attempt = 0; attempt < 20 && refused.status != 503; ++attempt) {
    heavy = std::async(std::launch::async, [&] {
      return http_request(srv.port(), "POST", "/api/v1/task", body, {}, 60s);
    });
    // Probes follow each other without a pause: the window is short.
    while (heavy.wait_for(0s) != std::future_status::ready) {
      refused = srv.post("/api/v1/task", task_body(serials({"sim-0001"})));
      if (refused.status == 503)
        break;
      accepted += refused.code() == 0 ? 1 : 0;
    }
    if (refused.status != 503) {
      auto r = heavy.get();
      BOOST_REQUIRE_MESSAGE(r.status == 503, "the heavy create ended before "
                                             "any refusal: "
                                               << r.status);
    }
  }
  BOOST_REQUIRE(refused.status == 503);
  check_error(refused, 503, 50301);
  BOOST_TEST(refused.retry_after == "1");
  auto done = heavy.get();
  BOOST_REQUIRE_EQUAL(done.code(), 0);
  // The refused create changed nothing.
  BOOST_TEST(count(list(srv), "total") == 96'000 + accepted);
  // Served again once it is over (its reply may come a moment before the
  // server has let go of it, as Retry-After allows for).
  BOOST_TEST(wait_until(
    [&] {
      return srv.post("/api/v1/task", task_body(serials({"sim-0001"}))).code()
             == 0;
    },
    10s));
}

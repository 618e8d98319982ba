// HTTP tests of the dashboard's files as tmx-server serves them: at /, with
// content types, ETag revalidation, gzip when asked for, the security
// headers, no token needed for them while the API still wants it, and the
// API's 404 for what is neither.
#include <boost/test/unit_test.hpp>

#include "tests/http/fixtures.hpp"

#include <string>

using namespace tmx::test;

namespace {

std::string header_of(const reply& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string{} : it->second;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(the_dashboard_is_served_at_the_root, api_server) {
  auto page = http_request(port(), "GET", "/");
  BOOST_REQUIRE_EQUAL(page.status, 200);
  BOOST_TEST(page.content_type == "text/html; charset=utf-8");
  BOOST_TEST(page.text.find("<html") != std::string::npos);
  BOOST_TEST(header_of(page, "Cache-Control") == "no-cache");
  BOOST_TEST(header_of(page, "X-Content-Type-Options") == "nosniff");
  BOOST_TEST(header_of(page, "Content-Security-Policy")
               .find("default-src "
                     "'self'")
             != std::string::npos);
  auto same = http_request(port(), "GET", "/index.html");
  BOOST_TEST(same.text == page.text);
  auto app = http_request(port(), "GET", "/js/app.js");
  BOOST_REQUIRE_EQUAL(app.status, 200);
  BOOST_TEST(app.content_type == "text/javascript; charset=utf-8");
}

BOOST_FIXTURE_TEST_CASE(an_unchanged_file_is_not_sent_again, api_server) {
  auto page = http_request(port(), "GET", "/");
  auto etag = header_of(page, "ETag");
  BOOST_REQUIRE(!etag.empty());
  auto again = http_request(port(), "GET", "/", {}, {{"If-None-Match", etag}});
  BOOST_TEST(again.status == 304);
  BOOST_TEST(again.text.empty());
  auto other = http_request(port(), "GET", "/", {},
                            {{"If-None-Match", "\"0000\""}});
  BOOST_TEST(other.status == 200);
  BOOST_TEST(other.text == page.text);
}

BOOST_FIXTURE_TEST_CASE(gzip_only_for_a_client_that_takes_it, api_server) {
  auto plain = http_request(port(), "GET", "/js/app.js");
  BOOST_TEST(header_of(plain, "Content-Encoding").empty());
  auto zipped = http_request(port(), "GET", "/js/app.js", {},
                             {{"Accept-Encoding", "gzip, deflate"}});
  BOOST_REQUIRE_EQUAL(zipped.status, 200);
  if (plain.text.size() > 1024) { // small files are sent as they are
    BOOST_TEST(header_of(zipped, "Content-Encoding") == "gzip");
    BOOST_TEST(header_of(zipped, "Vary") == "Accept-Encoding");
    // cpp-httplib unzips the body; the length on the wire is the zipped one.
    BOOST_TEST(zipped.text == plain.text);
    BOOST_TEST(std::stoul(header_of(zipped, "Content-Length"))
               < plain.text.size() / 2);
  }
  auto refused = http_request(port(), "GET", "/js/app.js", {},
                              {{"Accept-Encoding", "gzip;q=0"}});
  BOOST_TEST(header_of(refused, "Content-Encoding").empty());
  BOOST_TEST(refused.text == plain.text);
}

BOOST_FIXTURE_TEST_CASE(what_is_no_file_is_the_apis_404, api_server) {
  for (const char* path :
       {"/no-such.js", "/js/../index.html", "/README.md", "/api", "/js/"}) {
    auto r = http_request(port(), "GET", path);
    BOOST_TEST(r.status == 404, path);
    BOOST_TEST(r.code() == 40401, path);
  }
  // The files are only there to GET.
  auto post = http_request(port(), "POST", "/index.html", "{}");
  BOOST_TEST(post.status == 404);
}

BOOST_AUTO_TEST_CASE(the_files_need_no_token_the_api_does) {
  api_server srv(options{{"http.token", "s3cret-token"}});
  BOOST_TEST(http_request(srv.port(), "GET", "/").status == 200);
  BOOST_TEST(http_request(srv.port(), "GET", "/js/api.js").status == 200);
  BOOST_TEST(http_request(srv.port(), "GET", "/api/v1/task").code() == 40101);
}

BOOST_AUTO_TEST_CASE(a_web_dir_without_an_index_is_refused_at_start) {
  server_process srv(merged(base_options, {{"http.web-dir", "/nonexistent"}}));
  srv.launch();
  BOOST_TEST(srv.wait_exit(20s).value_or(-1) != 0);
  BOOST_TEST(srv.log().find("http.web-dir") != std::string::npos);
}

// Unit tests of the dashboard's files (http/web_files.hpp): the embedded
// table holds web/ as the build found it, paths that may not name a file
// name none, content types, gzip copies that unzip to the file, ETags, and
// the Accept-Encoding / If-None-Match readers.
#define BOOST_TEST_MODULE web_files
#include <boost/test/unit_test.hpp>

#include "http/web_files.hpp"

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tmx;

namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  BOOST_REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  BOOST_REQUIRE_EQUAL(rc, Z_STREAM_END);
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(the_embedded_files_are_web_as_built) {
  web_files files;
  BOOST_TEST(files.embedded() > 0);
  auto index = files.find("/");
  BOOST_REQUIRE(index);
  BOOST_TEST(index->content_type == "text/html; charset=utf-8");
  BOOST_TEST(index->body == read_file(TMX_WEB_DIR "/index.html"));
  BOOST_TEST(files.find("/index.html") == index);
  // Every file of web/ but its README is there, byte for byte.
  for (auto& e : std::filesystem::recursive_directory_iterator(TMX_WEB_DIR)) {
    if (!e.is_regular_file())
      continue;
    auto rel = std::filesystem::relative(e.path(), TMX_WEB_DIR).string();
    auto f = files.find("/" + rel);
    if (rel == "README.md") {
      BOOST_TEST(!f);
      continue;
    }
    BOOST_REQUIRE_MESSAGE(f, rel);
    BOOST_TEST(f->body == read_file(e.path()), rel);
  }
}

BOOST_AUTO_TEST_CASE(paths_that_may_not_name_a_file_name_none) {
  web_files files;
  for (const char* p :
       {"", "index.html", "/../CMakeLists.txt", "/js/../index.html",
        "/./index.html", "/js/", "//index.html", "/.hidden", "/%69ndex.html",
        "/index.html?x=1", "/no-such.js", "/README.md"})
    BOOST_TEST(!files.find(p), p);
}

BOOST_AUTO_TEST_CASE(a_directory_is_read_at_each_request) {
  auto dir = std::filesystem::temp_directory_path()
             / ("tmx-web-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "js");
  std::ofstream(dir / "index.html") << "<p>one</p>";
  web_files files(dir.string());
  BOOST_TEST(files.embedded() == 0u);
  BOOST_REQUIRE(files.find("/"));
  auto first = files.find("/")->etag;
  std::ofstream(dir / "index.html") << "<p>two</p>";
  BOOST_TEST(files.find("/")->body == "<p>two</p>");
  BOOST_TEST(files.find("/")->etag != first);
  BOOST_TEST(!files.find("/js/app.js"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(types_gzip_and_etags) {
  BOOST_TEST(std::string(content_type_of("a.js"))
             == "text/javascript; charset=utf-8");
  BOOST_TEST(std::string(content_type_of("a.css"))
             == "text/css; charset=utf-8");
  BOOST_TEST(std::string(content_type_of("i.svg")) == "image/svg+xml");
  BOOST_TEST(std::string(content_type_of("x.bin"))
             == "application/octet-stream");
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "<div class=\"tile\">sim-" + std::to_string(i) + "</div>\n";
  auto f = make_web_file("a.html", text);
  BOOST_REQUIRE(!f->gzipped.empty());
  BOOST_TEST(f->gzipped.size() < text.size() / 3);
  BOOST_TEST(gunzip(f->gzipped) == text);
  BOOST_TEST(make_web_file("b.html", text)->etag == f->etag);
  BOOST_TEST(make_web_file("a.html", text + " ")->etag != f->etag);
  // Small files and images are sent as they are.
  BOOST_TEST(make_web_file("s.js", "let a = 1;")->gzipped.empty());
  BOOST_TEST(make_web_file("p.png", text)->gzipped.empty());
}

BOOST_AUTO_TEST_CASE(accept_encoding_and_if_none_match) {
  BOOST_TEST(accepts_gzip("gzip"));
  BOOST_TEST(accepts_gzip("gzip, deflate, br"));
  BOOST_TEST(accepts_gzip("br;q=1.0, gzip;q=0.8"));
  BOOST_TEST(accepts_gzip("*"));
  BOOST_TEST(!accepts_gzip("gzip;q=0"));
  BOOST_TEST(!accepts_gzip("gzip;q=0.000"));
  BOOST_TEST(!accepts_gzip("deflate, br"));
  BOOST_TEST(!accepts_gzip("xgzip"));
  BOOST_TEST(!accepts_gzip(""));
  BOOST_TEST(etag_matches("\"abc\"", "\"abc\""));
  BOOST_TEST(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
  BOOST_TEST(etag_matches("*", "\"abc\""));
  BOOST_TEST(!etag_matches("\"abd\"", "\"abc\""));
  BOOST_TEST(!etag_matches("", "\"abc\""));
}

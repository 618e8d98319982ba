// Unit tests of tmxctl's server-sent events parser (tools/tmxctl/sse.hpp):
// the same events however the bytes are cut, line ends of every kind,
// multi-line data, comments, `event: reset`, ids that carry over and ids
// of events cut off midway.
#include "tools/tmxctl/sse.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

using tmxctl::sse_event;
using tmxctl::sse_parser;

namespace tmxctl {

bool operator==(const sse_event& a, const sse_event& b) {
  return a.id == b.id && a.type == b.type && a.data == b.data;
}

std::ostream& operator<<(std::ostream& out, const sse_event& e) {
  return out << "{id " << e.id << ", type " << e.type << ", data " << e.data
             << "}";
}

} // namespace tmxctl

namespace {

using events = std::vector<sse_event>;

/// Everything `p` gives for `chunks`, fed one after another.
events fed(sse_parser& p, const std::vector<std::string>& chunks) {
  events out;
  for (auto& c : chunks)
    for (auto& e : p.feed(c))
      out.push_back(e);
  return out;
}

events whole(const std::string& stream) {
  sse_parser p;
  return fed(p, {stream});
}

/// A stream with a bit of everything, and what it holds.
const std::string mixed = "\xEF\xBB\xBF"
                          ": keep-alive\n\n"
                          "id: 1\nevent: task\ndata: {\"type\":\"a\"}\n\n"
                          "id: 2\r\nevent: task\r\ndata: {\"x\":\r\ndata: 1}"
                          "\r\n\r\n"
                          "event: reset\ndata: {}\n\n"
                          "event: reset\r\n\r\n"
                          "retry: 250\rid: 3\rdata:no space\rdata:  two\r\r"
                          "data\nfoo: ignored\n\n";
const events mixed_events{{"1", "task", "{\"type\":\"a\"}"},
                          {"2", "task", "{\"x\":\n1}"},
                          {"2", "reset", "{}"},
                          {"2", "reset", ""},
                          {"3", "message", "no space\n two"},
                          {"3", "message", ""}};

} // namespace

BOOST_AUTO_TEST_SUITE(sse_parser_tests)

BOOST_AUTO_TEST_CASE(one_event_per_blank_line) {
  sse_parser p;
  BOOST_TEST(p.feed("id: 7\nevent: task\ndata: {}\n").empty());
  BOOST_TEST(p.last_id().empty()); // not before the event is complete
  auto got = p.feed("\n");
  BOOST_TEST(got == events({{"7", "task", "{}"}}));
  BOOST_TEST(p.last_id() == "7");
}

BOOST_AUTO_TEST_CASE(a_stream_of_everything) {
  sse_parser p;
  BOOST_TEST(fed(p, {mixed}) == mixed_events);
  BOOST_TEST(p.comments() == 1u);
  BOOST_TEST(p.last_id() == "3");
  BOOST_TEST(p.retry_ms().value_or(0) == 250u);
}

BOOST_AUTO_TEST_CASE(cut_anywhere_gives_the_same_events) {
  for (size_t cut = 0; cut <= mixed.size(); ++cut)
    BOOST_TEST_CONTEXT("cut at " << cut) {
      sse_parser p;
      BOOST_TEST(fed(p, {mixed.substr(0, cut), mixed.substr(cut)})
                 == mixed_events);
    }
  for (size_t a = 1; a < mixed.size(); a += 7)
    for (size_t b = a; b < mixed.size(); b += 5) {
      sse_parser p;
      BOOST_TEST(
        fed(p, {mixed.substr(0, a), mixed.substr(a, b - a), mixed.substr(b)})
        == mixed_events);
    }
  sse_parser bytewise;
  std::vector<std::string> bytes;
  for (char c : mixed)
    bytes.emplace_back(1, c);
  BOOST_TEST(fed(bytewise, bytes) == mixed_events);
  BOOST_TEST(bytewise.comments() == 1u);
}

BOOST_AUTO_TEST_CASE(a_crlf_cut_between_cr_and_lf_is_one_line_end) {
  sse_parser p;
  BOOST_TEST(fed(p, {"data: a\r", "\ndata: b\r", "\n\r", "\n"})
             == events({{"", "message", "a\nb"}}));
}

BOOST_AUTO_TEST_CASE(multi_line_data_is_joined_with_newlines) {
  BOOST_TEST(whole("data: {\ndata: \"a\": 1\ndata\ndata: }\n\n")
             == events({{"", "message", "{\n\"a\": 1\n\n}"}}));
}

BOOST_AUTO_TEST_CASE(comments_and_blank_lines_alone_dispatch_nothing) {
  sse_parser p;
  BOOST_TEST(fed(p, {": keep-alive\n\n", "\n\n", ":\n", ": x: y\n\n"}).empty());
  BOOST_TEST(p.comments() == 3u);
}

BOOST_AUTO_TEST_CASE(reset_without_data_is_an_event) {
  BOOST_TEST(whole("event: reset\n\n") == events({{"", "reset", ""}}));
  BOOST_TEST(whole("event: reset\ndata: {}\n\n")
             == events({{"", "reset", "{}"}}));
}

BOOST_AUTO_TEST_CASE(ids_carry_over_and_may_come_alone) {
  sse_parser p("40");
  BOOST_TEST(p.last_id() == "40");
  BOOST_TEST(fed(p, {"data: a\n\n", "id: 41\n\n", "data: b\n\n"})
             == events({{"40", "message", "a"}, {"41", "message", "b"}}));
  BOOST_TEST(p.last_id() == "41");
  BOOST_TEST(fed(p, {"id\ndata: c\n\n"}) == events({{"", "message", "c"}}));
}

BOOST_AUTO_TEST_CASE(an_event_cut_off_is_forgotten_with_its_id) {
  sse_parser p;
  BOOST_TEST(fed(p, {"id: 1\ndata: a\n\nid: 2\ndata: {\"ty"}).size() == 1u);
  BOOST_TEST(p.last_id() == "1");
  p.restart(); // the connection broke: the next one starts afresh
  BOOST_TEST(p.last_id() == "1");
  BOOST_TEST(fed(p, {"data: b\n\n"}) == events({{"1", "message", "b"}}));
}

BOOST_AUTO_TEST_CASE(a_byte_order_mark_only_at_the_start) {
  sse_parser p;
  BOOST_TEST(fed(p, {"\xEF", "\xBB",
                     "\xBF"
                     "data: a\n\n"})
             == events({{"", "message", "a"}}));
  BOOST_TEST(fed(p, {"\xEF\xBB\xBF"
                     "data: b\n\n"})
               .empty()); // a field name
}

BOOST_AUTO_TEST_CASE(retry_needs_digits) {
  sse_parser p;
  fed(p, {"retry: soon\n\n", "retry: 12x\n\n"});
  BOOST_TEST(!p.retry_ms());
  fed(p, {"retry: 3000\n\n"});
  BOOST_TEST(p.retry_ms().value_or(0) == 3000u);
}

BOOST_AUTO_TEST_SUITE_END()

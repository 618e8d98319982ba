// Unit tests of the API's request parsers (model/request_parsing.hpp): list
// queries and paging, the account filter and its pages, task ids, the
// batch-delete and account bodies, Idempotency-Key. Every 40001 must name
// the field it is about.
#define BOOST_TEST_MODULE http_parsing
#include <boost/test/unit_test.hpp>

#include "model/request_parsing.hpp"
#include "model/text.hpp"

#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace tmx;

namespace {

using params = std::vector<std::pair<std::string, std::string>>;

/// A query over `ps`; of a repeated name the first counts.
query_lookup query_of(params ps) {
  return [ps = std::move(ps)](
           std::string_view name) -> std::optional<std::string_view> {
    for (auto& [key, value] : ps)
      if (key == name)
        return std::string_view(value);
    return std::nullopt;
  };
}

/// A 40001 whose message names `field`.
void check_invalid(const api_error& err, const std::string& field) {
  BOOST_TEST((err.code == ec::invalid_params), "not 40001: " << err.message);
  BOOST_TEST(err.message.find(field) != std::string::npos,
             "message '" << err.message << "' does not name '" << field << "'");
}

std::string ids_body(size_t n, task_id first = 1) {
  std::string out = "{\"task_ids\":[";
  for (size_t i = 0; i < n; ++i)
    out += (i > 0 ? "," : "") + std::to_string(first + i);
  return out + "]}";
}

account make_account(std::string username, std::string serial,
                     std::string platform = "tiktok", bool enabled = true) {
  return {std::move(username), std::move(serial), std::move(platform), enabled};
}

std::vector<std::string> usernames(const std::vector<account>& accounts) {
  std::vector<std::string> out;
  for (auto& a : accounts)
    out.push_back(a.username);
  return out;
}

} // namespace

// -- paging -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(paging_defaults_and_bounds) {
  paging p;
  BOOST_TEST(!parse_paging(query_of({}), p));
  BOOST_TEST(p.page == 1u);
  BOOST_TEST(p.page_size == 20u);
  BOOST_TEST(p.first() == 0u);
  for (auto [page, size, first] :
       std::vector<std::tuple<std::string, std::string, uint64_t>>{
         {"1", "1", 0},
         {"3", "4", 8},
         {"2", "100", 100},
         {"05", "007", 28},
         {"4294967295", "100", uint64_t{4294967294} * 100},
       })
    BOOST_TEST_CONTEXT("page=" << page << " page_size=" << size) {
      paging q;
      BOOST_TEST(
        !parse_paging(query_of({{"page", page}, {"page_size", size}}), q));
      BOOST_TEST(q.page == std::stoul(page));
      BOOST_TEST(q.page_size == std::stoul(size));
      BOOST_TEST(q.first() == first);
    }
}

BOOST_AUTO_TEST_CASE(paging_refuses_what_is_no_count_in_range) {
  for (auto [name, value] : params{
         {"page", "0"},
         {"page", "-1"},
         {"page", "+1"},
         {"page", "4294967296"},
         {"page", "abc"},
         {"page", ""},
         {"page", " 1"},
         {"page", "1 "},
         {"page", "1.0"},
         {"page", "0x1"},
         {"page_size", "0"},
         {"page_size", "101"},
         {"page_size", "-5"},
         {"page_size", "+5"},
         {"page_size", "abc"},
         {"page_size", ""},
         {"page_size", "1e2"},
       })
    BOOST_TEST_CONTEXT(name << '=' << value) {
      paging p;
      check_invalid(parse_paging(query_of({{name, value}}), p), name);
    }
}

// -- task list ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(list_query_reads_filters_and_ignores_the_rest) {
  task_filter f;
  paging p;
  BOOST_TEST(!parse_list_query(query_of({}), f, p));
  BOOST_TEST(!f.status.has_value());
  BOOST_TEST((f.serial.empty() && f.script_name.empty() && f.source.empty()));
  for (int s = 0; s < status_count; ++s) {
    task_filter g;
    BOOST_TEST(
      !parse_list_query(query_of({{"status", std::to_string(s)}}), g, p));
    BOOST_TEST((g.status == static_cast<task_status>(s)));
  }
  task_filter h;
  paging q;
  BOOST_TEST(!parse_list_query(query_of({{"serial", "sim 1"},
                                         {"script_name", "follow"},
                                         {"source", "ui"},
                                         {"colour", "blue"},
                                         {"page", "2"},
                                         {"page_size", "5"},
                                         {"serial", "ignored: not first"}}),
                               h, q));
  BOOST_TEST(h.serial == "sim 1");
  BOOST_TEST(h.script_name == "follow");
  BOOST_TEST(h.source == "ui");
  BOOST_TEST((q.page == 2u && q.page_size == 5u));
  task_filter api;
  BOOST_TEST(!parse_list_query(query_of({{"source", "api"}}), api, q));
  BOOST_TEST(api.source == "api");
  task_filter scheduled;
  BOOST_TEST(
    !parse_list_query(query_of({{"source", "schedule"}}), scheduled, q));
  BOOST_TEST(scheduled.source == "schedule");
}

BOOST_AUTO_TEST_CASE(list_query_errors_name_the_field) {
  for (auto [name, value] : params{
         {"status", "4"},
         {"status", "-1"},
         {"status", "01"},
         {"status", "abc"},
         {"status", ""},
         {"source", "web"},
         {"source", "schedules"},
         {"source", "API"},
         {"source", ""},
         {"page", "0"},
         {"page_size", "101"},
       })
    BOOST_TEST_CONTEXT(name << '=' << value) {
      task_filter f;
      paging p;
      check_invalid(parse_list_query(query_of({{name, value}}), f, p), name);
    }
}

// -- account list -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(account_query_reads_filters) {
  account_query q;
  BOOST_TEST(!parse_account_query(query_of({}), q));
  BOOST_TEST((q.serial.empty() && q.platform.empty() && !q.enabled));
  BOOST_TEST(!parse_account_query(query_of({{"serial", "sim-0001"},
                                            {"platform", "instagram"},
                                            {"enabled", "false"},
                                            {"page_size", "3"}}),
                                  q));
  BOOST_TEST(q.serial == "sim-0001");
  BOOST_TEST(q.platform == "instagram");
  BOOST_TEST((q.enabled == false));
  BOOST_TEST(q.page.page_size == 3u);
  account_query t;
  BOOST_TEST(!parse_account_query(
    query_of({{"platform", "tiktok"}, {"enabled", "true"}}), t));
  BOOST_TEST((t.platform == "tiktok" && t.enabled == true));
}

BOOST_AUTO_TEST_CASE(account_query_errors_name_the_field) {
  for (auto [name, value] : params{
         {"platform", "x"},
         {"platform", ""},
         {"platform", "TikTok"},
         {"enabled", "yes"},
         {"enabled", "TRUE"},
         {"enabled", "1"},
         {"enabled", ""},
         {"page", "abc"},
         {"page_size", "0"},
       })
    BOOST_TEST_CONTEXT(name << '=' << value) {
      account_query q;
      check_invalid(parse_account_query(query_of({{name, value}}), q), name);
    }
}

BOOST_AUTO_TEST_CASE(select_accounts_filters_then_pages) {
  std::vector<account> all{
    make_account("a", "sim-0001"),
    make_account("b", "sim-0001", "instagram"),
    make_account("c", "sim-0002", "tiktok", false),
    make_account("d", "sim-0002", "instagram", false),
    make_account("e", "sim-0003"),
  };
  struct select_case {
    params query;
    std::vector<std::string> expected; // in the order of `all`
    uint64_t total;
  };
  std::vector<select_case> cases{
    {{}, {"a", "b", "c", "d", "e"}, 5},
    {{{"serial", "sim-0002"}}, {"c", "d"}, 2},
    {{{"serial", "sim-9999"}}, {}, 0},
    {{{"platform", "instagram"}}, {"b", "d"}, 2},
    {{{"enabled", "false"}}, {"c", "d"}, 2},
    {{{"enabled", "true"}, {"platform", "tiktok"}}, {"a", "e"}, 2},
    {{{"page_size", "2"}}, {"a", "b"}, 5},
    {{{"page_size", "2"}, {"page", "3"}}, {"e"}, 5},
    {{{"page_size", "2"}, {"page", "4"}}, {}, 5},
    {{{"page", "4294967295"}, {"page_size", "100"}}, {}, 5},
    {{{"platform", "tiktok"}, {"page_size", "1"}, {"page", "2"}}, {"c"}, 3},
  };
  for (auto& c : cases) {
    account_query q;
    BOOST_REQUIRE(!parse_account_query(query_of(c.query), q));
    auto page = select_accounts(all, q);
    BOOST_TEST(usernames(page.items) == c.expected);
    BOOST_TEST(page.total == c.total);
  }
}

// -- task ids -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(task_ids_are_positive_decimal_integers) {
  for (auto [text, expected] : std::vector<std::pair<std::string, task_id>>{
         {"1", 1},
         {"42", 42},
         {"007", 7},
         {"9223372036854775807", 9223372036854775807u},
       })
    BOOST_TEST_CONTEXT(text) {
      task_id id = 0;
      BOOST_TEST(parse_task_id(text, id));
      BOOST_TEST(id == expected);
    }
  for (std::string text :
       {"0", "-1", "+1", "abc", "12abc", "", "%31", "1 ", " 1", "1.0",
        "9223372036854775808", "18446744073709551615"})
    BOOST_TEST_CONTEXT('"' << text << '"') {
      task_id id = 0;
      BOOST_TEST(!parse_task_id(text, id));
    }
}

// -- batch delete -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(batch_ids_keep_the_first_of_each_id) {
  std::vector<task_id> ids;
  BOOST_TEST(!parse_batch_ids(R"({"task_ids":[3,1,3,2,1],"x":true})", ids));
  BOOST_TEST(ids == (std::vector<task_id>{3, 1, 2}));
  ids.clear();
  BOOST_TEST(!parse_batch_ids(R"({"task_ids":[18446744073709551615]})", ids));
  BOOST_TEST(ids == (std::vector<task_id>{18446744073709551615u}));
  ids.clear();
  BOOST_TEST(!parse_batch_ids(ids_body(max_batch_ids), ids));
  BOOST_TEST(ids.size() == max_batch_ids);
}

BOOST_AUTO_TEST_CASE(batch_ids_errors_name_the_field) {
  std::vector<std::pair<std::string, std::string>> cases{
    {ids_body(max_batch_ids + 1), "task_ids"},
    {ids_body(0), "task_ids"},
    {"{}", "task_ids"},
    {R"({"task_ids":null})", "task_ids"},
    {R"({"task_ids":"1"})", "task_ids"},
    {R"({"task_ids":{"a":1}})", "task_ids"},
    {R"({"task_ids":["a"]})", "task_ids"},
    {R"({"task_ids":[1,-1]})", "task_ids"},
    {R"({"task_ids":[0]})", "task_ids"},
    {R"({"task_ids":[1.5]})", "task_ids"},
    {R"({"task_ids":[true]})", "task_ids"},
    {"[1,2]", "body"},
    {"not json", "body"},
    {R"({"task_ids":[1])", "body"},
    {"", "body"},
  };
  for (auto& [body, field] : cases)
    BOOST_TEST_CONTEXT(body.substr(0, 60)) {
      std::vector<task_id> ids;
      check_invalid(parse_batch_ids(body, ids), field);
    }
  std::vector<task_id> ids;
  check_invalid(parse_batch_ids(ids_body(max_batch_ids + 1), ids), "1000");
}

// -- account body -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(account_body_defaults_and_values) {
  struct body_case {
    std::string body;
    std::string platform;
    bool enabled;
  };
  for (auto& c : std::vector<body_case>{
         {R"({"username":"@u","serial":"s"})", "tiktok", true},
         {R"({"username":"@u","serial":"s","platform":null,)"
          R"("enabled":null})",
          "tiktok", true},
         {R"({"username":"@u","serial":"s","platform":"instagram",)"
          R"("enabled":false,"colour":"x"})",
          "instagram", false},
       })
    BOOST_TEST_CONTEXT(c.body) {
      account a;
      BOOST_TEST(!parse_account(c.body, a));
      BOOST_TEST(a.username == "@u");
      BOOST_TEST(a.serial == "s");
      BOOST_TEST(a.platform == c.platform);
      BOOST_TEST(a.enabled == c.enabled);
    }
}

BOOST_AUTO_TEST_CASE(account_body_errors_name_the_field) {
  std::vector<std::pair<std::string, std::string>> cases{
    {R"({"serial":"s"})", "username"},
    {R"({"username":"","serial":"s"})", "username"},
    {R"({"username":7,"serial":"s"})", "username"},
    {R"({"username":null,"serial":"s"})", "username"},
    {R"({"username":["a"],"serial":"s"})", "username"},
    {R"({"username":"a"})", "serial"},
    {R"({"username":"a","serial":""})", "serial"},
    {R"({"username":"a","serial":["s"]})", "serial"},
    {R"({"username":"a","serial":"s","platform":"x"})", "platform"},
    {R"({"username":"a","serial":"s","platform":1})", "platform"},
    {R"({"username":"a","serial":"s","platform":""})", "platform"},
    {R"({"username":"a","serial":"s","enabled":"yes"})", "enabled"},
    {R"({"username":"a","serial":"s","enabled":1})", "enabled"},
    {"[]", "body"},
    {"\"a\"", "body"},
    {"not json", "body"},
    {R"({"username":"a")", "body"},
    {"", "body"},
  };
  for (auto& [body, field] : cases)
    BOOST_TEST_CONTEXT(body) {
      account a;
      check_invalid(parse_account(body, a), field);
    }
}

// -- Idempotency-Key ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(idempotency_key_length) {
  BOOST_TEST(!check_idempotency_key("k"));
  BOOST_TEST(!check_idempotency_key(std::string(255, 'k')));
  check_invalid(check_idempotency_key(""), "Idempotency-Key");
  check_invalid(check_idempotency_key(std::string(256, 'k')),
                "Idempotency-Key");
}

// -- text rules (model/text.hpp) ----------------------------------------------

BOOST_AUTO_TEST_CASE(utf8_is_checked_byte_by_byte) {
  for (std::string ok : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac",
                         "\xf0\x9f\x93\xb1", "\xef\xbf\xbf"})
    BOOST_TEST(tmx::valid_utf8(ok), ok);
  for (std::string bad :
       {"\xe9", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xff", "\x80", "a\xc3(", "\xf0\x9f\x93"})
    BOOST_TEST(!tmx::valid_utf8(bad), bad);
}

BOOST_AUTO_TEST_CASE(the_first_bad_string_is_named_by_its_path) {
  rapidjson::Document doc;
  std::string body = "{\"a\":{\"b\":[\"ok\",\"\xe9\"]},\"c\":\"\xe9\"}";
  doc.Parse(body.data(), body.size());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(tmx::invalid_utf8_path(doc) == "a.b[1]");
  body = "{\"fine\":[1,true,null,\"x\"]}";
  doc.Parse(body.data(), body.size());
  BOOST_TEST(tmx::invalid_utf8_path(doc).empty());
}

BOOST_AUTO_TEST_CASE(path_segments_decode_as_rfc_3986_writes_them) {
  BOOST_TEST(*tmx::decode_path_segment("@shop1") == "@shop1");
  BOOST_TEST(*tmx::decode_path_segment("%40shop1") == "@shop1");
  BOOST_TEST(*tmx::decode_path_segment("a+b") == "a+b");
  BOOST_TEST(*tmx::decode_path_segment("a%20b%2Bc") == "a b+c");
  BOOST_TEST(*tmx::decode_path_segment("caf%C3%A9") == "caf\xc3\xa9");
  for (std::string bad : {"%", "%4", "%zz", "%ff", "a%2"})
    BOOST_TEST(!tmx::decode_path_segment(bad).has_value(), bad);
}

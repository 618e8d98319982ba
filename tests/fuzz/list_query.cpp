// Fuzz target: the query string of GET /api/v1/task (and of GET
// /api/v1/account, which shares the paging), decoded by RESTinio's
// parse_query and looked up by http/query_string.hpp, as the server does, then
// read by parse_list_query / parse_account_query. Bad input must give an
// api_error, never a crash; what they accept must be in range.
#include "http/query_string.hpp"
#include "model/request_parsing.hpp"
#include "tests/fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace {

using namespace tmx;
using tmx::fuzz::check;

void check_paging(const paging& p) {
  check(p.page >= 1, "page >= 1");
  check(p.page_size >= 1 && p.page_size <= max_page_size, "page_size 1-100");
}

void list_tasks(const query_lookup& query) {
  task_filter filter;
  paging page;
  if (auto err = parse_list_query(query, filter, page)) {
    check(err.code == ec::invalid_params && !err.message.empty(),
          "a bad list query is 40001 with a message");
    return;
  }
  check_paging(page);
  check(filter.source.empty() || filter.source == "api" || filter.source == "ui"
          || filter.source == "schedule",
        "source is api, ui or schedule");
  check(!filter.status || static_cast<int>(*filter.status) < status_count,
        "status 0-3");
}

void list_accounts(const query_lookup& query) {
  account_query q;
  if (auto err = parse_account_query(query, q)) {
    check(err.code == ec::invalid_params, "a bad account query is 40001");
    return;
  }
  check_paging(q.page);
  std::vector<account> all{{"alice", "sim-0001", "tiktok", true},
                           {"bob", "sim-0001", "instagram", false},
                           {"carol", "sim-0002", "tiktok", true}};
  auto page = select_accounts(all, q);
  check(page.items.size() <= q.page.page_size, "a page holds page_size");
  check(page.total <= all.size(), "total counts matching accounts");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto query = parse_query_string(raw);
  if (!query)
    return 0;
  list_tasks(*query);
  list_accounts(*query);
  return 0;
}

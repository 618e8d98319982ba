// Fuzz target: the body of DELETE /api/v1/task/batch as
// endpoints::batch_delete reads it (parse_batch_ids), and the same bytes as
// the body of POST /api/v1/account (parse_account), which is read by the
// same JSON object reader. Bad input must give an api_error, never a crash;
// what they accept is 1-1000 positive ids, each once, and a complete
// account.
#include "model/request_parsing.hpp"
#include "tests/fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

namespace {

using namespace tmx;
using tmx::fuzz::check;

void batch_ids(std::string_view body) {
  std::vector<task_id> ids;
  if (auto err = parse_batch_ids(body, ids)) {
    check(err.code == ec::invalid_params && !err.message.empty(),
          "a bad batch body is 40001 with a message");
    return;
  }
  check(!ids.empty() && ids.size() <= max_batch_ids, "1-1000 ids");
  std::set<task_id> seen(ids.begin(), ids.end());
  check(seen.size() == ids.size(), "each id once");
  check(seen.count(0) == 0, "ids are positive");
}

void account_body(std::string_view body) {
  account a;
  if (auto err = parse_account(body, a)) {
    check(err.code == ec::invalid_params && !err.message.empty(),
          "a bad account body is 40001 with a message");
    return;
  }
  check(!a.username.empty() && !a.serial.empty(), "username and serial");
  check(a.platform == "tiktok" || a.platform == "instagram",
        "platform tiktok or instagram");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  batch_ids(body);
  account_body(body);
  return 0;
}

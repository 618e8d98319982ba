// Fuzz target: the body of POST /api/v1/group as endpoints::put_group reads
// it (parse_group_request). Bad input must give an api_error, never a
// crash; what it accepts is a name of 1-64 characters without control
// characters and 1-1000 non-empty serials, each once, as the store and the
// task manager rely on.
#include "model/group_request.hpp"
#include "model/text.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tmx;
  using tmx::fuzz::check;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  device_group g;
  if (auto err = parse_group_request(body, g)) {
    check(err.code == ec::invalid_params && !err.message.empty(),
          "a bad group body is 40001 with a message");
    return 0;
  }
  check(!g.name.empty() && g.name.size() <= 4 * max_group_name,
        "a name of 1-64 characters");
  check(valid_utf8(g.name), "the name is UTF-8");
  check(std::none_of(g.name.begin(), g.name.end(),
                     [](char c) {
                       auto u = static_cast<unsigned char>(c);
                       return u < 0x20 || u == 0x7f;
                     }),
        "no control characters in the name");
  check(!g.serials.empty() && g.serials.size() <= max_group_serials,
        "1-1000 serials");
  std::set<std::string> once(g.serials.begin(), g.serials.end());
  check(once.size() == g.serials.size(), "each serial once");
  check(once.count("") == 0, "no empty serial");
  check(g.created_at == 0, "the parser sets no time");
  return 0;
}

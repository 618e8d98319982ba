// What the store suites share (storage, list_index): a fresh data
// directory per test, and what store::check reports.
#pragma once

#include "storage/store.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace tmx::test {

// A fresh data directory, removed with everything in it at the end.
struct temp_dir {
  std::string path;

  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "tmx-storage-XXXXXX")
                  .string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }

  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// What check() reports, all of it (the walk itself must complete).
inline std::vector<std::string> problems_of(const store& s) {
  std::vector<std::string> out;
  BOOST_REQUIRE_EQUAL(
    to_string(s.check([&](const std::string& p) { out.push_back(p); }, {})),
    "ok");
  return out;
}

} // namespace tmx::test

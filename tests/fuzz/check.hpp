// What the fuzz targets share: a property check that stops the run with a
// message (libFuzzer keeps the input as a crash), whatever NDEBUG says.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tmx::fuzz {

/// Aborts with `what` unless `ok`: a broken invariant is a finding.
inline void check(bool ok, const char* what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

} // namespace tmx::fuzz

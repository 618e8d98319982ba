// Pins the process's time zone (TZ) for one test, so that local times are
// exact; the old TZ is back at the end of the scope.
#pragma once

#include <cstdlib>
#include <ctime>
#include <string>

namespace tmx::test {

struct zone {
  std::string saved;
  bool had = false;

  explicit zone(const char* tz) {
    if (const char* old = std::getenv("TZ")) {
      saved = old;
      had = true;
    }
    setenv("TZ", tz, 1);
    tzset();
  }

  zone(const zone&) = delete;
  zone& operator=(const zone&) = delete;

  ~zone() {
    if (had)
      setenv("TZ", saved.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
};

} // namespace tmx::test

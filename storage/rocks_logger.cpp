#include "storage/rocks_logger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace tmx::engine {

namespace {

spdlog::level::level_enum level_of(rocksdb::InfoLogLevel l, bool quiet) {
  switch (l) {
    case rocksdb::WARN_LEVEL:
      return quiet ? spdlog::level::debug : spdlog::level::warn;
    case rocksdb::ERROR_LEVEL:
    case rocksdb::FATAL_LEVEL: return spdlog::level::err;
    default: return spdlog::level::debug;
  }
}

class process_logger final : public rocksdb::Logger {
public:
  explicit process_logger(bool quiet)
    : rocksdb::Logger(spdlog::should_log(spdlog::level::debug)
                        ? rocksdb::DEBUG_LEVEL
                        : rocksdb::WARN_LEVEL),
      quiet_(quiet) {}

  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel l, const char* format,
            va_list ap) override {
    auto level = level_of(l, quiet_);
    if (!spdlog::should_log(level))
      return;
    char line[1024];
    int n = std::vsnprintf(line, sizeof line, format, ap);
    std::string_view text(
      line, n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof line - 1));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.remove_suffix(1);
    spdlog::log(level, "rocksdb: {}", text);
  }

private:
  bool quiet_;
};

} // namespace

std::shared_ptr<rocksdb::Logger> make_process_logger(bool quiet) {
  return std::make_shared<process_logger>(quiet);
}

} // namespace tmx::engine

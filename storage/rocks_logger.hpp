// RocksDB's diagnostics go to the process log (spdlog), not to a LOG file
// in the data directory: on a full disk that file is the first write to
// fail, and Debian's librocksdb 7.8.3 (built with assertions) aborts at
// the next line written to it.
#pragma once

#include <rocksdb/env.h>

#include <memory>

namespace tmx::engine {

/// A logger for DBOptions::info_log: warnings and errors at spdlog's warn
/// and error levels (with `quiet`, warnings at debug: a read-only instance
/// catching up with a live writer warns about the writer's memtables);
/// the rest at debug, formatted only when spdlog would print it.
std::shared_ptr<rocksdb::Logger> make_process_logger(bool quiet = false);

} // namespace tmx::engine

// The on-disk records of the store: a format byte, then the fields in a
// fixed order (varint integers, length-prefixed strings).
#pragma once

#include "storage/store.hpp"

#include <string>
#include <string_view>

namespace tmx::codec {

/// The format byte written first in every record. A new layout gets a new
/// value; decoders keep reading the old ones.
constexpr uint8_t record_format = 1;

std::string encode(const task& t);
std::string encode(const account& a);
std::string encode(const idempotency_record& r);

/// False (and `out` unspecified) on a truncated or unknown record, an
/// unknown status or trailing bytes.
bool decode(std::string_view in, task& out);
bool decode(std::string_view in, account& out);
bool decode(std::string_view in, idempotency_record& out);

} // namespace tmx::codec

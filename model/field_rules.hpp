// The members of a JSON object as a table of rules (type, range, enum,
// default) and the one interpreter that checks an object against such a
// table: the machinery under the tables of script_config.cpp.
#pragma once

#include "model/error.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tmx::rules {

using rapidjson::Value;
using allocator = Value::AllocatorType;

enum class kind : uint8_t {
  integer,      // min..max
  number,       // min..max, any JSON number
  text,         // any string
  choice,       // one of `choices`
  loose_choice, // one of `choices`; integers accepted, stored as strings
  boolean,
  text_list, // array of strings
};

struct field_rule {
  std::string_view name;
  kind type;
  const char* fallback; // the default as JSON-ish text, or null
  int64_t min;
  int64_t max;
  std::string_view choices; // "a|b|c"
};

// Seconds and counts have no upper bound in the contract; this one keeps
// them inside an int for the scripts that read them.
constexpr int64_t no_limit = INT32_MAX;

constexpr field_rule integer(std::string_view name, int64_t min, int64_t max,
                             const char* fallback = nullptr) {
  return {name, kind::integer, fallback, min, max, {}};
}

constexpr field_rule number(std::string_view name, int64_t min, int64_t max,
                            const char* fallback = nullptr) {
  return {name, kind::number, fallback, min, max, {}};
}

constexpr field_rule seconds(std::string_view name, const char* fallback) {
  return integer(name, 0, no_limit, fallback);
}

constexpr field_rule percent(std::string_view name, const char* fallback) {
  return integer(name, 0, 100, fallback);
}

constexpr field_rule of_kind(std::string_view name, kind type,
                             const char* fallback = nullptr) {
  return {name, type, fallback, 0, 0, {}};
}

constexpr field_rule choice(std::string_view name, std::string_view choices,
                            const char* fallback = nullptr,
                            kind type = kind::choice) {
  return {name, type, fallback, 0, 0, choices};
}

template <class T>
struct table {
  const T* first = nullptr;
  size_t count = 0;

  const T* begin() const { return first; }
  const T* end() const { return first + count; }
};

template <class T, size_t N>
constexpr table<T> all_of(const T (&items)[N]) {
  return {items, N};
}

/// Checks each rule's member of `object` in table order: a null member is
/// removed, a missing one gets its default (if any). The first violation
/// is 40001 "<path>.<name> must be ..." (path e.g. "script_config").
api_error check_fields(table<field_rule> fields, Value& object,
                       allocator& alloc, std::string_view path);

/// A member name the object `v` gives twice (perhaps ""), if any.
std::optional<std::string> repeated_name(const Value& v);

/// Member `name` of the object `v`, or null.
const Value* member(const Value& v, std::string_view name);

/// A non-owning key for lookups (table names outlive every config).
inline Value key_of(std::string_view name) {
  return Value(rapidjson::StringRef(name.data(), name.size()));
}

inline std::string_view text_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

inline Value text_value(std::string_view text, allocator& alloc) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()),
               alloc);
}

} // namespace tmx::rules

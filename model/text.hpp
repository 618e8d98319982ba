// Text rules every request obeys: strings are UTF-8 (so that every reply is
// valid JSON), and path segments are decoded as RFC 3986 writes them.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace tmx {

/// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

/// The path of the first string (member name or value) in `v` that is not
/// valid UTF-8, e.g. "script_config.captions" or "serials[2]"; "" when
/// every one is.
std::string invalid_utf8_path(const rapidjson::Value& v,
                              const std::string& at = "");

/// The deepest nesting of objects and arrays a request body may have: the
/// parsers and everything that walks a document recurse once per level,
/// and a body of nothing but brackets must not exhaust the stack (nor make
/// invalid_utf8_path build a path per level). Real bodies are flat.
constexpr int max_json_depth = 64;

/// Whether the JSON text `body` nests deeper than max_json_depth (brackets
/// inside strings do not count): decided on the text, before any parser.
bool nests_too_deep(std::string_view body);

/// Whether `text` starts with `prefix` (lowercase ASCII), ignoring the case
/// of ASCII letters: URL schemes ("https://").
bool starts_with_nocase(std::string_view text, std::string_view prefix);

/// Whether `a` equals `b`, in a time that depends on the lengths only, not
/// on where the first difference is (secrets, tokens).
bool same_secret(std::string_view a, std::string_view b);

/// A path segment decoded: "%XX" escapes become their byte, everything
/// else stays as written (RFC 3986 allows "@", ":", "+", ... raw in a
/// segment, and "+" is no blank there). nullopt on a malformed escape or
/// a result that is not UTF-8.
std::optional<std::string> decode_path_segment(std::string_view raw);

} // namespace tmx

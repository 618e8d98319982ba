// The interpreter of field rules (see field_rules.hpp).
#include "model/field_rules.hpp"

#include <charconv>
#include <set>

namespace tmx::rules {

namespace {

bool is_one_of(std::string_view choices, std::string_view value) {
  for (size_t start = 0;;) {
    size_t bar = choices.find('|', start);
    if (choices.substr(start, bar - start) == value)
      return true;
    if (bar == std::string_view::npos)
      return false;
    start = bar + 1;
  }
}

std::string quoted_choices(std::string_view choices) {
  std::string out = "\"";
  for (char c : choices)
    out += c == '|' ? std::string("\", \"") : std::string(1, c);
  return out + "\"";
}

std::string describe(const field_rule& rule) {
  switch (rule.type) {
    case kind::integer:
      if (rule.max == no_limit)
        return rule.min == 0 ? "a non-negative integer"
                             : "an integer >= " + std::to_string(rule.min);
      if (rule.min == 0 && rule.max == 1)
        return "0 or 1";
      return "an integer " + std::to_string(rule.min) + "-"
             + std::to_string(rule.max);
    case kind::number:
      return "a number " + std::to_string(rule.min) + "-"
             + std::to_string(rule.max);
    case kind::text: return "a string";
    case kind::choice: return "one of " + quoted_choices(rule.choices);
    case kind::loose_choice:
      return "one of " + quoted_choices(rule.choices)
             + " (a string or an integer)";
    case kind::boolean: return "true or false";
    case kind::text_list: return "an array of strings";
  }
  return "valid";
}

Value default_of(const field_rule& rule, allocator& alloc) {
  std::string_view text = rule.fallback;
  switch (rule.type) {
    case kind::integer: {
      int64_t n = 0;
      std::from_chars(text.data(), text.data() + text.size(), n);
      return Value(n);
    }
    case kind::number: {
      double x = 0; // from_chars: no locale decides the decimal point
      std::from_chars(text.data(), text.data() + text.size(), x);
      return Value(x);
    }
    case kind::boolean: return Value(text == "true");
    default: return text_value(text, alloc);
  }
}

// Whether `v` obeys `rule`; a loose choice given as an integer is rewritten
// as its string so that scripts see one type.
bool conforms(const field_rule& rule, Value& v, allocator& alloc) {
  switch (rule.type) {
    case kind::integer:
      return v.IsInt64() && v.GetInt64() >= rule.min
             && v.GetInt64() <= rule.max;
    case kind::number:
      return v.IsNumber() && v.GetDouble() >= static_cast<double>(rule.min)
             && v.GetDouble() <= static_cast<double>(rule.max);
    case kind::text: return v.IsString();
    case kind::loose_choice:
      if (v.IsInt64()) {
        std::string text = std::to_string(v.GetInt64());
        if (!is_one_of(rule.choices, text))
          return false;
        v = text_value(text, alloc);
        return true;
      }
      [[fallthrough]];
    case kind::choice:
      return v.IsString() && is_one_of(rule.choices, text_of(v));
    case kind::boolean: return v.IsBool();
    case kind::text_list:
      if (!v.IsArray())
        return false;
      for (const auto& item : v.GetArray())
        if (!item.IsString())
          return false;
      return true;
  }
  return false;
}

api_error check_field(const field_rule& rule, Value& object, allocator& alloc,
                      std::string_view path) {
  auto it = object.FindMember(key_of(rule.name));
  if (it != object.MemberEnd() && it->value.IsNull()) {
    object.EraseMember(it);
    it = object.MemberEnd();
  }
  if (it == object.MemberEnd()) {
    if (rule.fallback != nullptr)
      object.AddMember(text_value(rule.name, alloc), default_of(rule, alloc),
                       alloc);
    return {};
  }
  if (conforms(rule, it->value, alloc))
    return {};
  return invalid(std::string(path) + "." + std::string(rule.name) + " must be "
                 + describe(rule));
}

} // namespace

api_error check_fields(table<field_rule> fields, Value& object,
                       allocator& alloc, std::string_view path) {
  for (const auto& rule : fields)
    if (auto err = check_field(rule, object, alloc, path))
      return err;
  return {};
}

std::optional<std::string> repeated_name(const Value& v) {
  std::set<std::string_view> seen;
  for (const auto& m : v.GetObject())
    if (!seen.insert(text_of(m.name)).second)
      return std::string(text_of(m.name));
  return std::nullopt;
}

const Value* member(const Value& v, std::string_view name) {
  auto it = v.FindMember(key_of(name));
  return it == v.MemberEnd() ? nullptr : &it->value;
}

} // namespace tmx::rules

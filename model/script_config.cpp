// The script_config rules of CONTRACT "Scripts" as tables, and the one
// interpreter that checks a config against them.
#include "model/script_config.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace tmx {

namespace {

using rapidjson::Value;
using allocator = Value::AllocatorType;

enum class kind : uint8_t {
  integer,      // min..max
  text,         // any string
  choice,       // one of `choices`
  loose_choice, // one of `choices`; integers accepted, stored as strings
  boolean,
  text_list, // array of strings
};

struct field_rule {
  std::string_view name;
  kind type;
  const char* fallback; // default as text (a number for integers), or null
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

/// `field` must be a non-empty string when `when_field` equals `when_value`
/// and `unless_given` (if any) is absent or empty.
struct requirement {
  std::string_view field;
  std::string_view when_field;
  std::string_view when_value;
  std::string_view unless_given;
};

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

struct script_rules {
  std::string_view name;
  table<field_rule> fields;
  table<requirement> requirements;
  std::string_view lower; // lower <= upper, when both are named
  std::string_view upper;
  bool per_target;
};

constexpr field_rule post_fields[] = {
  integer("content_type", 0, 1, "0"),
  integer("image_count", 1, no_limit, "1"),
  of_kind("captions", kind::text, ""),
  choice("post_way", "share|addButton|useSound", "share"),
  choice("material_source", "materialLibrary|localFolder", "materialLibrary"),
  of_kind("material_path", kind::text),
  of_kind("material_list", kind::text_list),
  of_kind("materials_tags", kind::text),
  seconds("upload_wait_time", "30"),
  seconds("sound_wait_time", "10"),
  choice("add_sound", "-1|0|1|custom", "-1", kind::loose_choice),
  of_kind("sound_name", kind::text),
  of_kind("custom_sound_keyword", kind::text),
  percent("origin_sound_volume", "50"),
  percent("add_sound_volume", "50"),
  integer("add_product_link", 0, 1, "0"),
  choice("placement", "reel|story", "reel"),
};

constexpr requirement post_requirements[] = {
  {"material_path", "material_source", "localFolder", "material_list"},
  {"sound_name", "post_way", "useSound", {}},
  {"custom_sound_keyword", "add_sound", "custom", {}},
};

constexpr field_rule follow_fields[] = {
  of_kind("target_users", kind::text_list),
  of_kind("target_user", kind::text),
  of_kind("target_username", kind::text),
  choice("access_method", "direct|search", "direct"),
};

constexpr field_rule warmup_fields[] = {
  seconds("task_duration", "600"),
  of_kind("topic", kind::text),
  seconds("min_duration", "15"),
  seconds("max_duration", "30"),
  percent("like_probable", "0"),
  percent("floow_probable", "0"), // sic: the public API's spelling
  percent("collect_probable", "0"),
  percent("comment_probable", "0"),
  of_kind("comment", kind::text),
  of_kind("insert_emoji", kind::boolean),
  choice("comment_order", "random|sequential"),
};

constexpr script_rules scripts[] = {
  {"post", all_of(post_fields), all_of(post_requirements), {}, {}, false},
  {"follow", all_of(follow_fields), {}, {}, {}, true},
  {"unfollow", all_of(follow_fields), {}, {}, {}, true},
  {"account_warmup",
   all_of(warmup_fields),
   {},
   "min_duration",
   "max_duration",
   false},
};

// Scripts of the product family that the API does not run.
constexpr std::string_view unavailable_scripts[] = {
  "like", "comment", "message", "super_marketing", "profile", "scrape_user",
};

const script_rules* find_script(std::string_view name) {
  for (const auto& s : scripts)
    if (s.name == name)
      return &s;
  return nullptr;
}

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

std::string_view text_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

Value text_value(std::string_view text, allocator& alloc) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()),
               alloc);
}

// A non-owning key for lookups (table names outlive every config).
Value key_of(std::string_view name) {
  return Value(rapidjson::StringRef(name.data(), name.size()));
}

Value default_of(const field_rule& rule, allocator& alloc) {
  std::string_view text = rule.fallback;
  if (rule.type != kind::integer)
    return text_value(text, alloc);
  int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return Value(n);
}

// Whether `v` obeys `rule`; a loose choice given as an integer is rewritten
// as its string so that scripts see one type.
bool conforms(const field_rule& rule, Value& v, allocator& alloc) {
  switch (rule.type) {
    case kind::integer:
      return v.IsInt64() && v.GetInt64() >= rule.min
             && v.GetInt64() <= rule.max;
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

api_error check_field(const field_rule& rule, Value& config, allocator& alloc) {
  auto it = config.FindMember(key_of(rule.name));
  if (it != config.MemberEnd() && it->value.IsNull()) {
    config.EraseMember(it);
    it = config.MemberEnd();
  }
  if (it == config.MemberEnd()) {
    if (rule.fallback != nullptr)
      config.AddMember(text_value(rule.name, alloc), default_of(rule, alloc),
                       alloc);
    return {};
  }
  if (conforms(rule, it->value, alloc))
    return {};
  return invalid("script_config." + std::string(rule.name) + " must be "
                 + describe(rule));
}

const Value* member(const Value& config, std::string_view name) {
  auto it = config.FindMember(key_of(name));
  return it == config.MemberEnd() ? nullptr : &it->value;
}

// A field that is "given" for a requirement: a non-empty string or array.
bool given(const Value& config, std::string_view name) {
  const Value* v = name.empty() ? nullptr : member(config, name);
  return v != nullptr
         && ((v->IsString() && v->GetStringLength() > 0)
             || (v->IsArray() && !v->Empty()));
}

bool equals(const Value& config, std::string_view name,
            std::string_view value) {
  const Value* v = member(config, name);
  return v != nullptr && v->IsString() && text_of(*v) == value;
}

api_error check_requirement(const requirement& r, const Value& config) {
  if (!equals(config, r.when_field, r.when_value)
      || given(config, r.unless_given) || given(config, r.field))
    return {};
  std::string msg = "script_config." + std::string(r.field)
                    + " is required when " + std::string(r.when_field) + " is "
                    + std::string(r.when_value);
  if (!r.unless_given.empty())
    msg += " and " + std::string(r.unless_given) + " is empty";
  return invalid(std::move(msg));
}

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\f\v";
  size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos)
    return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

void add_target(std::vector<std::string_view>& out, std::string_view name) {
  name = trimmed(name);
  if (name.empty())
    return;
  for (auto known : out)
    if (known == name)
      return;
  out.push_back(name);
}

// Targets from the first of target_users (items), target_user and
// target_username (split on newlines and commas) that names anyone.
std::vector<std::string_view> collect_targets(const Value& config) {
  std::vector<std::string_view> out;
  if (const Value* list = member(config, "target_users"))
    for (const auto& item : list->GetArray())
      add_target(out, text_of(item));
  for (auto key : {"target_user", "target_username"}) {
    const Value* text = member(config, key);
    if (!out.empty() || text == nullptr)
      continue;
    std::string_view rest = text_of(*text);
    size_t cut = rest.find_first_of(",\n");
    for (; cut != rest.npos; cut = rest.find_first_of(",\n")) {
      add_target(out, rest.substr(0, cut));
      rest.remove_prefix(cut + 1);
    }
    add_target(out, rest);
  }
  return out;
}

api_error normalise_targets(Value& config, allocator& alloc) {
  auto targets = collect_targets(config);
  if (targets.empty())
    return invalid("script_config.target_users (or target_user) must name "
                   "at least one user");
  Value list(rapidjson::kArrayType);
  for (auto name : targets)
    list.PushBack(text_value(name, alloc), alloc);
  // `targets` points into the old value: replace it only now.
  auto it = config.FindMember("target_users");
  if (it != config.MemberEnd())
    it->value = list;
  else
    config.AddMember("target_users", list, alloc);
  return {};
}

} // namespace

api_error check_script(std::string_view script) {
  if (find_script(script) != nullptr)
    return {};
  for (auto name : unavailable_scripts)
    if (name == script)
      return {ec::script_unavailable, "script '" + std::string(script)
                                        + "' is not available through the "
                                          "API"};
  return {ec::script_unavailable,
          "script '" + std::string(script) + "' is unknown"};
}

api_error validate_script_config(std::string_view script, Value& config,
                                 allocator& alloc) {
  const script_rules* rules = find_script(script);
  if (rules == nullptr)
    return check_script(script);
  if (!config.IsObject())
    return invalid("script_config must be an object");
  for (const auto& rule : rules->fields)
    if (auto err = check_field(rule, config, alloc))
      return err;
  for (const auto& r : rules->requirements)
    if (auto err = check_requirement(r, config))
      return err;
  if (!rules->lower.empty()) {
    const Value* lo = member(config, rules->lower);
    const Value* hi = member(config, rules->upper);
    // Both have defaults and passed their field rules, so both are integers.
    if (lo->GetInt64() > hi->GetInt64())
      return invalid("script_config." + std::string(rules->lower)
                     + " must be <= " + std::string(rules->upper));
  }
  if (rules->per_target)
    return normalise_targets(config, alloc);
  return {};
}

bool fans_out_per_target(std::string_view script) {
  const script_rules* rules = find_script(script);
  return rules != nullptr && rules->per_target;
}

} // namespace tmx

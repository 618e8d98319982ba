// The script_config rules of CONTRACT "Scripts" as tables (the interpreter
// is field_rules.cpp), and each script's checks beyond them
// (script_checks.cpp).
#include "model/script_config.hpp"

#include "model/field_rules.hpp"
#include "model/script_checks.hpp"

#include <string>

namespace tmx {

namespace {

using namespace rules;

/// `field` must be a non-empty string when `when_field` equals `when_value`
/// and `unless_given` (if any) is absent or empty.
struct requirement {
  std::string_view field;
  std::string_view when_field;
  std::string_view when_value;
  std::string_view unless_given;
};

/// A script's checks after its table rules held.
using final_check = api_error (*)(Value& config, allocator& alloc);

struct script_rules {
  std::string_view name;
  table<field_rule> fields;
  table<requirement> requirements;
  std::string_view lower; // lower <= upper, when both are named
  std::string_view upper;
  final_check check;
  target_fan_out fan_out;
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
  of_kind("topic", kind::text, ""),
  seconds("min_duration", "15"),
  seconds("max_duration", "30"),
  percent("like_probable", "0"),
  percent("floow_probable", "0"), // sic: the public API's spelling
  percent("collect_probable", "0"),
  percent("comment_probable", "0"),
  of_kind("comment", kind::text, ""),
  of_kind("insert_emoji", kind::boolean, "false"),
  choice("comment_order", "random|sequential", "random"),
  of_kind("generate_by_chatgpt", kind::boolean, "false"),
  // chatgpt_settings: script_checks::chatgpt_settings
};

constexpr field_rule comment_fields[] = {
  of_kind("target_post_urls", kind::text_list),
  of_kind("target_post_url", kind::text),
  of_kind("comment_content", kind::text),
  choice("comment_order", "random|sequential", "random"),
  of_kind("insert_emoji", kind::boolean, "false"),
  of_kind("comment_image_path", kind::text, ""),
};

constexpr target_fan_out per_user{"target_users",
                                  {"target_user", "target_username"}};
constexpr target_fan_out per_post{"target_post_urls", {"target_post_url"}};

constexpr script_rules scripts[] = {
  {"post", all_of(post_fields), all_of(post_requirements), {}, {}, nullptr, {}},
  {"follow",
   all_of(follow_fields),
   {},
   {},
   {},
   script_checks::follow_targets,
   per_user},
  {"unfollow",
   all_of(follow_fields),
   {},
   {},
   {},
   script_checks::follow_targets,
   per_user},
  {"account_warmup",
   all_of(warmup_fields),
   {},
   "min_duration",
   "max_duration",
   script_checks::chatgpt_settings,
   {}},
  {"comment",
   all_of(comment_fields),
   {},
   {},
   {},
   script_checks::comment,
   per_post},
};

// Scripts of the product family that the API does not run.
constexpr std::string_view unavailable_scripts[] = {
  "like", "message", "super_marketing", "profile", "scrape_user",
};

const script_rules* find_script(std::string_view name) {
  for (const auto& s : scripts)
    if (s.name == name)
      return &s;
  return nullptr;
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
  if (auto err = check_fields(rules->fields, config, alloc, "script_config"))
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
  return rules->check != nullptr ? rules->check(config, alloc) : api_error{};
}

target_fan_out fan_out_of(std::string_view script) {
  const script_rules* rules = find_script(script);
  return rules != nullptr ? rules->fan_out : target_fan_out{};
}

bool fans_out_per_target(std::string_view script) {
  return !fan_out_of(script).list.empty();
}

} // namespace tmx

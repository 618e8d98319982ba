// Which scripts the API runs, and validation of their script_config: types,
// ranges, enums, conditional requirements and defaults (CONTRACT "Scripts").
#pragma once

#include "model/error.hpp"

#include <rapidjson/document.h>

#include <array>
#include <string_view>

namespace tmx {

/// ec::none when the API runs `script`; otherwise ec::script_unavailable,
/// for a script of the product family the API does not offer and for an
/// unknown name alike.
api_error check_script(std::string_view script);

/// Validates `config` (must be an object) for `script` and applies the
/// defaults in place; fields the script does not know are left untouched,
/// a null field counts as absent. For follow/unfollow the collected targets
/// (trimmed, empties and repeats dropped) end up in "target_users", for
/// comment the post URLs in "target_post_urls".
api_error validate_script_config(std::string_view script,
                                 rapidjson::Value& config,
                                 rapidjson::Value::AllocatorType& alloc);

/// How a request for a script makes one task per target: per item of the
/// config's `list` (each task's config holds its one item there), without
/// the `folded` fields, whose targets the validation moved into `list`.
struct target_fan_out {
  std::string_view list; // "" = one task per device or account
  std::array<std::string_view, 2> folded;
};

/// follow/unfollow: per target user; comment: per post URL; others: none.
target_fan_out fan_out_of(std::string_view script);

/// Whether a request for `script` makes one task per target.
bool fans_out_per_target(std::string_view script);

} // namespace tmx

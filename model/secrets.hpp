// The secrets a task's script_config holds (CONTRACT "Task object":
// chatgpt_settings.api_key): stored, and given to the script on its stdin,
// but masked in every rendering of a task and redacted from what the script
// prints. One rule, used by every renderer (see docs/decisions/0024).
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmx {

/// What a rendering shows in place of a secret.
inline constexpr std::string_view secret_mask = "***";

/// Replaces, in the parsed `config`, the value of every `api_key` member of
/// every `chatgpt_settings` object with secret_mask, unless it is "" or
/// null (no key, nothing to hide). True when it replaced any.
bool mask_secrets(rapidjson::Value& config);

/// The compact JSON text `config` with its secrets masked; nullopt when it
/// holds none (or is no JSON object): render it as it is. Cheap for a
/// config that names no api_key.
std::optional<std::string> masked_config(std::string_view config);

/// The texts to redact from what the script of `config` prints: each
/// secret, and its JSON-escaped form when that differs (a script that
/// prints its config prints the key escaped). Empty for most configs.
std::vector<std::string> secrets_of(std::string_view config);

/// `line` with every occurrence of each of `secrets` replaced by
/// secret_mask.
std::string redacted(std::string_view line,
                     const std::vector<std::string>& secrets);

} // namespace tmx

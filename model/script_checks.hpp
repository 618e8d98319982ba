// The script_config rules of CONTRACT "Scripts" that are more than a row of
// a table: the targets of follow/unfollow, the post URLs and the comment of
// comment, the ChatGPT settings of account_warmup. Each runs after its
// script's table rules held, so every field it reads has its type.
#pragma once

#include "model/error.hpp"

#include <rapidjson/document.h>

#include <string_view>

namespace tmx {

/// Whether `text` is an http(s) URL a phone can open: "http://" or
/// "https://" (any case), a host, optionally user info and a port of
/// digits, then anything without blanks or control characters (non-ASCII
/// is allowed, as browsers show such URLs).
bool is_http_url(std::string_view text);

namespace script_checks {

using rapidjson::Value;
using allocator = Value::AllocatorType;

/// follow/unfollow: the targets of target_users, else of target_user and
/// target_username (split on newlines and commas), trimmed, empties and
/// repeats dropped, into target_users; at least one.
api_error follow_targets(Value& config, allocator& alloc);

/// comment: the URLs of target_post_urls, else of target_post_url, as
/// follow's targets, into target_post_urls; at least one, each an http(s)
/// URL. comment_content must hold a line that is not blank.
api_error comment(Value& config, allocator& alloc);

/// account_warmup: chatgpt_settings, required when generate_by_chatgpt is
/// true; its defaults applied. Its api_key is required then, and can never
/// be the mask the API shows in its place.
api_error chatgpt_settings(Value& config, allocator& alloc);

} // namespace script_checks

} // namespace tmx

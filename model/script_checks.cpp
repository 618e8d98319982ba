// The script_config rules beyond the tables (see script_checks.hpp).
#include "model/script_checks.hpp"

#include "model/field_rules.hpp"
#include "model/secrets.hpp"
#include "model/text.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

namespace tmx {

namespace {

bool blank_or_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// "host", "host:port", "[v6]", "[v6]:port", after any "user@".
bool valid_host_port(std::string_view authority) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1)
      return false;
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return false;
    has_port = !rest.empty();
    port = rest.substr(has_port ? 1 : 0);
  } else {
    auto colon = authority.find(':');
    has_port = colon != std::string_view::npos;
    if (authority.substr(0, colon).empty())
      return false;
    if (has_port)
      port = authority.substr(colon + 1);
  }
  return !has_port || all_digits(port);
}

} // namespace

bool is_http_url(std::string_view text) {
  if (std::any_of(text.begin(), text.end(), blank_or_control))
    return false;
  std::string_view rest;
  if (starts_with_nocase(text, "https://"))
    rest = text.substr(8);
  else if (starts_with_nocase(text, "http://"))
    rest = text.substr(7);
  else
    return false;
  return valid_host_port(rest.substr(0, rest.find_first_of("/?#")));
}

namespace script_checks {

namespace {

using rules::member;
using rules::text_of;
using rules::text_value;

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\f\v";
  size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos)
    return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

/// One target as given: an item of the list (its index there), or a part
/// of a text field.
struct target {
  std::string_view text;
  bool from_list = false;
  size_t index = 0;
};

void add_target(std::vector<target>& out, target t) {
  t.text = trimmed(t.text);
  if (t.text.empty())
    return;
  for (auto& known : out)
    if (known.text == t.text)
      return;
  out.push_back(t);
}

// The targets of the first of `list` (items) and `texts` (split on newlines
// and commas) that names any: the array wins.
std::vector<target> collect(const Value& config, std::string_view list,
                            std::initializer_list<std::string_view> texts) {
  std::vector<target> out;
  if (const Value* items = member(config, list))
    for (rapidjson::SizeType i = 0; i < items->Size(); ++i)
      add_target(out, {text_of((*items)[i]), true, i});
  for (auto key : texts) {
    const Value* text = member(config, key);
    if (!out.empty() || text == nullptr)
      continue;
    std::string_view rest = text_of(*text);
    size_t cut = rest.find_first_of(",\n");
    for (; cut != rest.npos; cut = rest.find_first_of(",\n")) {
      add_target(out, {rest.substr(0, cut)});
      rest.remove_prefix(cut + 1);
    }
    add_target(out, {rest});
  }
  return out;
}

// `targets` point into the config: the new array replaces `list` only once
// it is built.
void store(Value& config, const char* list, const std::vector<target>& targets,
           allocator& alloc) {
  Value items(rapidjson::kArrayType);
  for (auto& t : targets)
    items.PushBack(text_value(t.text, alloc), alloc);
  auto it = config.FindMember(list);
  if (it != config.MemberEnd())
    it->value = items;
  else
    config.AddMember(rapidjson::StringRef(list), items, alloc);
}

/// At most `n` bytes of `text`, cut on a character boundary.
std::string excerpt(std::string_view text, size_t n = 60) {
  if (text.size() <= n)
    return std::string(text);
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80)
    --n;
  return std::string(text.substr(0, n)) + "...";
}

constexpr rules::field_rule chatgpt_fields[] = {
  rules::of_kind("api_key", rules::kind::text),
  rules::of_kind("model", rules::kind::text, "gpt-3.5-turbo"),
  rules::of_kind("prompt", rules::kind::text, ""),
  rules::integer("max_tokens", 1, rules::no_limit, "100"),
  rules::number("temperature", 0, 2, "0.7"),
  rules::of_kind("base_url", rules::kind::text, ""),
};

} // namespace

api_error follow_targets(Value& config, allocator& alloc) {
  auto targets = collect(config, "target_users",
                         {"target_user", "target_username"});
  if (targets.empty())
    return invalid("script_config.target_users (or target_user) must name "
                   "at least one user");
  store(config, "target_users", targets, alloc);
  return {};
}

api_error comment(Value& config, allocator& alloc) {
  auto urls = collect(config, "target_post_urls", {"target_post_url"});
  if (urls.empty())
    return invalid("script_config.target_post_urls (or target_post_url) "
                   "must name at least one post URL");
  for (auto& url : urls) {
    if (is_http_url(url.text))
      continue;
    if (url.from_list)
      return invalid("script_config.target_post_urls["
                     + std::to_string(url.index) + "] must be an http(s) URL");
    return invalid("script_config.target_post_url must hold http(s) URLs "
                   "(split on newlines and commas): \""
                   + excerpt(url.text) + "\" is not one");
  }
  const Value* content = member(config, "comment_content");
  if (content == nullptr || trimmed(text_of(*content)).empty())
    return invalid("script_config.comment_content is required (a comment, "
                   "or several, one per line)");
  store(config, "target_post_urls", urls, alloc);
  return {};
}

api_error chatgpt_settings(Value& config, allocator& alloc) {
  const Value* wanted = member(config, "generate_by_chatgpt");
  bool on = wanted != nullptr && wanted->IsBool() && wanted->GetBool();
  auto it = config.FindMember("chatgpt_settings");
  if (it != config.MemberEnd() && it->value.IsNull()) {
    config.EraseMember(it);
    it = config.MemberEnd();
  }
  if (it == config.MemberEnd()) {
    if (on)
      return invalid("script_config.chatgpt_settings is required when "
                     "generate_by_chatgpt is true");
    return {};
  }
  Value& settings = it->value;
  if (!settings.IsObject())
    return invalid("script_config.chatgpt_settings must be an object");
  // A key given twice: the rules and the mask would see the first, a
  // script (Python's json) the other.
  if (auto twice = rules::repeated_name(settings))
    return invalid("script_config.chatgpt_settings gives '" + *twice
                   + "' twice");
  if (auto err = rules::check_fields(rules::all_of(chatgpt_fields), settings,
                                     alloc, "script_config.chatgpt_settings"))
    return err;
  const Value* key = member(settings, "api_key");
  if (key != nullptr && text_of(*key) == secret_mask)
    return invalid("script_config.chatgpt_settings.api_key must be the key "
                   "itself, not the mask \"***\" that replies show");
  if (on && (key == nullptr || key->GetStringLength() == 0))
    return invalid("script_config.chatgpt_settings.api_key is required (a "
                   "non-empty string) when generate_by_chatgpt is true");
  return {};
}

} // namespace script_checks

} // namespace tmx

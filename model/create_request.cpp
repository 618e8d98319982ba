// The body of POST /api/v1/task from JSON text to a create_request: shape and
// type checks, per-script config validation, per-target fan-out.
#include "model/create_request.hpp"

#include "model/text.hpp"

#include "model/field_rules.hpp"
#include "model/request_parsing.hpp"
#include "model/script_config.hpp"
#include "model/time.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

namespace tmx {

namespace {

using rapidjson::Value;

std::string text_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// serials / usernames / groups: absent is fine here, exactly-one is checked
// later.
api_error read_names(const Value& body, const char* name,
                     std::vector<std::string>& out) {
  const Value* list = body_field(body, name);
  if (list == nullptr)
    return {};
  if (!list->IsArray())
    return invalid(std::string(name) + " must be a non-empty array of strings");
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& item = (*list)[i];
    if (!item.IsString() || item.GetStringLength() == 0)
      return invalid(std::string(name) + "[" + std::to_string(i)
                     + "] must be a non-empty string");
    std::string text = text_of(item);
    if (!seen.insert(text).second)
      return invalid(std::string(name) + " lists '" + text + "' twice");
    out.push_back(std::move(text));
  }
  return {};
}

api_error read_targets(const Value& body, create_request& out) {
  if (auto err = read_names(body, "serials", out.serials))
    return err;
  if (auto err = read_names(body, "usernames", out.usernames))
    return err;
  if (auto err = read_names(body, "groups", out.groups))
    return err;
  auto given = !out.serials.empty() + !out.usernames.empty()
               + !out.groups.empty();
  if (given > 1)
    return invalid("give exactly one of serials, usernames or groups");
  if (given == 1)
    return {};
  for (auto name : {"usernames", "groups"})
    if (body_field(body, name) != nullptr)
      return invalid(std::string(name)
                     + " must be a non-empty array of strings");
  return invalid("serials must be a non-empty array of strings (or give "
                 "usernames or groups)");
}

api_error read_script_name(const Value& body, std::string& out) {
  const Value* name = body_field(body, "script_name");
  if (name == nullptr || (name->IsString() && name->GetStringLength() == 0))
    return {ec::missing_script, "script_name is required"};
  if (!name->IsString())
    return invalid("script_name must be a string");
  out = text_of(*name);
  return check_script(out);
}

api_error read_interval(const Value& body, const char* name, int& out) {
  const Value* v = body_field(body, name);
  if (v == nullptr)
    return {};
  if (!v->IsInt64() || v->GetInt64() < 0 || v->GetInt64() > INT32_MAX)
    return invalid(std::string(name)
                   + " must be a non-negative integer (minutes)");
  out = static_cast<int>(v->GetInt64());
  return {};
}

api_error read_schedule(const Value& body, millis now, create_request& out) {
  if (const Value* start = body_field(body, "start_time")) {
    if (!start->IsString())
      return invalid("start_time must be a string");
    std::string rule;
    // An empty start_time is what forms send for "now".
    if (start->GetStringLength() > 0
        && !parse_start_time(text_of(*start), now, out.start_at, rule))
      return invalid("start_time " + rule);
  }
  if (auto err = read_interval(body, "min_interval", out.min_interval))
    return err;
  if (auto err = read_interval(body, "max_interval", out.max_interval))
    return err;
  if (out.min_interval > out.max_interval)
    return invalid("min_interval must be <= max_interval");
  return {};
}

// False when the writer refuses a value: RapidJSON 1.1.0 reads some numbers
// past the range of a double ("10e308") as infinity, which JSON cannot
// hold, and the text would end there.
bool compact(const Value& v, std::string& out) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  bool written = v.Accept(writer);
  out.assign(buf.GetString(), buf.GetSize());
  return written;
}

// One config per target, each naming only its target in the rule's list
// (target_users, target_post_urls). The validated config holds the targets
// there; the folded fields (target_user, ...) would contradict it.
void fan_out(const target_fan_out& rule, Value& config,
             Value::AllocatorType& alloc, std::vector<std::string>& out) {
  for (auto key : rule.folded) {
    if (key.empty())
      continue;
    auto it = config.FindMember(
      Value(rapidjson::StringRef(key.data(), key.size())));
    if (it != config.MemberEnd())
      config.EraseMember(it);
  }
  auto slot = config.FindMember(
    Value(rapidjson::StringRef(rule.list.data(), rule.list.size())));
  Value targets;
  targets.Swap(slot->value);
  for (auto& target : targets.GetArray()) {
    Value one(rapidjson::kArrayType);
    one.PushBack(target, alloc);
    slot->value = one;
    compact(config, out.emplace_back()); // only a target changed: it writes
  }
}

} // namespace

api_error parse_create_request(std::string_view body, millis now,
                               create_request& out) {
  out = create_request{};
  rapidjson::Document doc;
  if (auto err = parse_json_body(body, doc))
    return err;
  if (auto err = read_script_name(doc, out.script_name))
    return err;
  if (auto err = read_targets(doc, out))
    return err;
  if (const Value* multi = body_field(doc, "enable_multi_account")) {
    if (!multi->IsBool())
      return invalid("enable_multi_account must be a boolean");
    if (multi->GetBool() && !out.usernames.empty())
      return invalid("enable_multi_account is only allowed with serials or "
                     "groups");
    out.multi_account = multi->GetBool();
  }
  if (auto err = read_schedule(doc, now, out))
    return err;
  auto config = doc.FindMember("script_config");
  if (config == doc.MemberEnd() || config->value.IsNull())
    return invalid("script_config is required");
  if (!config->value.IsObject())
    return invalid("script_config must be an object");
  // A name given twice (perhaps ""): the rules see the first, a script
  // reading the config (Python's json keeps the last) the other.
  if (auto twice = rules::repeated_name(config->value))
    return invalid("script_config gives '" + *twice + "' twice");
  auto& alloc = doc.GetAllocator();
  if (auto err = validate_script_config(out.script_name, config->value, alloc))
    return err;
  std::string whole;
  if (!compact(config->value, whole))
    return invalid("script_config holds a number beyond the range of a "
                   "double");
  if (auto rule = fan_out_of(out.script_name); !rule.list.empty())
    fan_out(rule, config->value, alloc, out.configs);
  else
    out.configs.push_back(std::move(whole));
  return {};
}

std::string body_fingerprint(std::string_view body) {
  // FNV-1a, 64 bit: fast, stable across builds and platforms.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(hash));
  return hex;
}

} // namespace tmx

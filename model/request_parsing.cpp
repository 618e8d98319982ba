// The API's list queries, batch-delete and account bodies, task ids and
// Idempotency-Key, read into domain values (see request_parsing.hpp).
#include "model/request_parsing.hpp"

#include <rapidjson/error/en.h>

#include "model/text.hpp"

#include <rapidjson/document.h>

#include <charconv>
#include <set>

namespace tmx {

namespace {

/// A decimal integer in [lo, hi] and nothing else (no sign, no blanks).
bool parse_int(std::string_view text, int64_t lo, int64_t hi, int64_t& out) {
  auto end = text.data() + text.size();
  auto [ptr, err] = std::from_chars(text.data(), end, out);
  return err == std::errc{} && ptr == end && !text.empty() && out >= lo
         && out <= hi;
}

} // namespace

api_error parse_paging(const query_lookup& query, paging& out) {
  int64_t n = 0;
  if (auto v = query("page")) {
    if (!parse_int(*v, 1, UINT32_MAX, n))
      return invalid("page must be an integer >= 1");
    out.page = static_cast<uint32_t>(n);
  }
  if (auto v = query("page_size")) {
    if (!parse_int(*v, 1, max_page_size, n))
      return invalid("page_size must be an integer 1-100");
    out.page_size = static_cast<uint32_t>(n);
  }
  return {};
}

api_error parse_list_query(const query_lookup& query, task_filter& filter,
                           paging& page) {
  if (auto v = query("status")) {
    task_status s;
    if (!parse_status(*v, s))
      return invalid("status must be an integer 0-3");
    filter.status = s;
  }
  if (auto v = query("serial"))
    filter.serial = std::string(*v);
  if (auto v = query("script_name"))
    filter.script_name = std::string(*v);
  if (auto v = query("source")) {
    if (*v != "api" && *v != "ui" && *v != "schedule")
      return invalid("source must be \"api\", \"ui\" or \"schedule\"");
    filter.source = std::string(*v);
  }
  return parse_paging(query, page);
}

bool account_query::matches(const account& a) const {
  return (serial.empty() || a.serial == serial)
         && (platform.empty() || a.platform == platform)
         && (!enabled || a.enabled == *enabled);
}

api_error parse_account_query(const query_lookup& query, account_query& out) {
  if (auto v = query("serial"))
    out.serial = std::string(*v);
  if (auto v = query("platform")) {
    if (*v != "tiktok" && *v != "instagram")
      return invalid("platform must be \"tiktok\" or \"instagram\"");
    out.platform = std::string(*v);
  }
  if (auto v = query("enabled")) {
    if (*v != "true" && *v != "false")
      return invalid("enabled must be true or false");
    out.enabled = *v == "true";
  }
  return parse_paging(query, out.page);
}

page_of<account> select_accounts(const std::vector<account>& all,
                                 const account_query& q) {
  page_of<account> out;
  auto first = q.page.first();
  auto last = first + q.page.page_size;
  for (auto& a : all) {
    if (!q.matches(a))
      continue;
    if (out.total >= first && out.total < last)
      out.items.push_back(a);
    ++out.total;
  }
  return out;
}

bool parse_task_id(std::string_view text, task_id& out) {
  int64_t v = 0;
  if (!parse_int(text, 1, INT64_MAX, v))
    return false;
  out = static_cast<task_id>(v);
  return true;
}

api_error parse_json_body(std::string_view body, rapidjson::Document& doc) {
  if (nests_too_deep(body))
    return invalid("body nests deeper than " + std::to_string(max_json_depth)
                   + " levels");
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError())
    return invalid("body is not valid JSON at offset "
                   + std::to_string(doc.GetErrorOffset()) + ": "
                   + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject())
    return invalid("body must be a JSON object");
  if (auto bad = invalid_utf8_path(doc); !bad.empty())
    return invalid(bad + " must be valid UTF-8");
  return {};
}

const rapidjson::Value* body_field(const rapidjson::Value& body,
                                   const char* name) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull())
    return nullptr;
  return &it->value;
}

api_error parse_json_object(std::string_view body, rapidjson::Document& doc) {
  if (nests_too_deep(body))
    return invalid("body nests deeper than " + std::to_string(max_json_depth)
                   + " levels");
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return invalid("body must be a JSON object");
  if (auto bad = invalid_utf8_path(doc); !bad.empty())
    return invalid(bad + " must be valid UTF-8");
  return {};
}

api_error parse_batch_ids(std::string_view body, std::vector<task_id>& ids) {
  rapidjson::Document doc;
  if (auto err = parse_json_object(body, doc))
    return err;
  auto it = doc.FindMember("task_ids");
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Empty())
    return invalid("task_ids must be a non-empty array of task ids");
  if (it->value.Size() > max_batch_ids)
    return invalid("task_ids may hold at most 1000 ids");
  std::set<task_id> seen;
  for (auto& v : it->value.GetArray()) {
    if (!v.IsUint64() || v.GetUint64() == 0)
      return invalid("task_ids must hold positive integers");
    if (seen.insert(v.GetUint64()).second)
      ids.push_back(v.GetUint64());
  }
  return {};
}

api_error parse_account(std::string_view body, account& out) {
  rapidjson::Document doc;
  if (auto err = parse_json_object(body, doc))
    return err;
  auto text = [&](const char* name, std::string& into) -> api_error {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd() || !it->value.IsString()
        || it->value.GetStringLength() == 0)
      return invalid(std::string(name) + " must be a non-empty string");
    into.assign(it->value.GetString(), it->value.GetStringLength());
    return {};
  };
  if (auto err = text("username", out.username))
    return err;
  if (auto err = text("serial", out.serial))
    return err;
  // The platform is read as a C string, as it always was: a JSON string
  // with an embedded NUL counts up to the NUL.
  if (auto it = doc.FindMember("platform");
      it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()
        || (it->value.GetString() != std::string_view("tiktok")
            && it->value.GetString() != std::string_view("instagram")))
      return invalid("platform must be \"tiktok\" or \"instagram\"");
    out.platform = it->value.GetString();
  }
  if (auto it = doc.FindMember("enabled");
      it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsBool())
      return invalid("enabled must be true or false");
    out.enabled = it->value.GetBool();
  }
  return {};
}

api_error check_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255)
    return invalid("Idempotency-Key must be 1-255 characters");
  return {};
}

} // namespace tmx

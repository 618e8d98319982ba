// The body of POST /api/v1/group (see group_request.hpp).
#include "model/group_request.hpp"

#include "model/request_parsing.hpp"
#include "model/text.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>

namespace tmx {

namespace {

using rapidjson::Value;

/// Characters, not bytes: the body is valid UTF-8 by now.
size_t characters(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

bool control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

api_error read_name(const Value& body, std::string& out) {
  const Value* v = body_field(body, "name");
  if (v == nullptr || !v->IsString() || v->GetStringLength() == 0)
    return invalid("name must be a non-empty string");
  std::string_view text(v->GetString(), v->GetStringLength());
  if (characters(text) > max_group_name)
    return invalid("name must be at most " + std::to_string(max_group_name)
                   + " characters");
  if (std::any_of(text.begin(), text.end(), control))
    return invalid("name must not hold control characters");
  out = std::string(text);
  return {};
}

api_error read_serials(const Value& body, std::vector<std::string>& out) {
  const Value* list = body_field(body, "serials");
  if (list == nullptr || !list->IsArray() || list->Empty())
    return invalid("serials must be a non-empty array of strings");
  if (list->Size() > max_group_serials)
    return invalid("serials may hold at most "
                   + std::to_string(max_group_serials) + " serials");
  out.clear();
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& item = (*list)[i];
    if (!item.IsString() || item.GetStringLength() == 0)
      return invalid("serials[" + std::to_string(i)
                     + "] must be a non-empty string");
    std::string serial(item.GetString(), item.GetStringLength());
    if (!seen.insert(serial).second)
      return invalid("serials lists '" + serial + "' twice");
    out.push_back(std::move(serial));
  }
  return {};
}

} // namespace

api_error parse_group_request(std::string_view body, device_group& out) {
  rapidjson::Document doc;
  if (auto err = parse_json_body(body, doc))
    return err;
  if (auto err = read_name(doc, out.name))
    return err;
  return read_serials(doc, out.serials);
}

} // namespace tmx

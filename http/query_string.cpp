#include "http/query_string.hpp"

#include <restinio/uri_helpers.hpp>

#include <exception>
#include <memory>

namespace tmx {

std::optional<query_lookup> parse_query_string(std::string_view raw) {
  std::shared_ptr<restinio::query_string_params_t> params;
  try {
    params = std::make_shared<restinio::query_string_params_t>(
      restinio::parse_query(restinio::string_view_t{raw.data(), raw.size()}));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return query_lookup{
    [params](std::string_view name) -> std::optional<std::string_view> {
      if (auto v = params->get_param({name.data(), name.size()}))
        return std::string_view{v->data(), v->size()};
      return std::nullopt;
    }};
}

} // namespace tmx

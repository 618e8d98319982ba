// The API's inputs besides the create body (model/create_request.hpp): list
// queries, the batch-delete and account bodies, task ids in paths and the
// Idempotency-Key header, read into domain values. Pure functions over
// text: the HTTP layer decodes the transport, these decide what it means.
#pragma once

#include "model/account.hpp"
#include "model/error.hpp"
#include "model/task.hpp"
#include "model/task_query.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmx {

/// A query string as the HTTP layer decoded it: the value of the parameter
/// `name`, or nullopt when it is absent. A lookup rather than a map, so
/// that the caller's rule for repeated names stays the caller's.
using query_lookup
  = std::function<std::optional<std::string_view>(std::string_view name)>;

/// Which page of a list a query asks for.
struct paging {
  uint32_t page = 1;       // >= 1
  uint32_t page_size = 20; // 1-100

  /// Index of the page's first item in the whole list.
  uint64_t first() const { return uint64_t{page - 1} * page_size; }
};

/// Largest page_size a list query may ask for.
constexpr uint32_t max_page_size = 100;

/// A request body read into `doc`: nested at most max_json_depth levels,
/// valid JSON (40001 naming the offset and RapidJSON's reason), an object,
/// every string UTF-8 (40001 naming the path). The create, webhook, group
/// and schedule bodies are read so.
api_error parse_json_body(std::string_view body, rapidjson::Document& doc);

/// The member `name` of a body object, or null when it is absent or null:
/// clients send null for "not set".
const rapidjson::Value* body_field(const rapidjson::Value& body,
                                   const char* name);

/// `page` and `page_size`; absent ones keep their value in `out`.
api_error parse_paging(const query_lookup& query, paging& out);

/// The query of GET /api/v1/task: `status`, `serial`, `script_name`,
/// `source` and the paging.
api_error parse_list_query(const query_lookup& query, task_filter& filter,
                           paging& page);

/// The query of GET /api/v1/account. Empty strings / nullopt mean "any".
struct account_query {
  std::string serial;
  std::string platform;
  std::optional<bool> enabled;
  paging page;

  bool matches(const account& a) const;
};

api_error parse_account_query(const query_lookup& query, account_query& out);

/// One page of a list and how many items the whole list holds.
template <class T>
struct page_of {
  std::vector<T> items;
  uint64_t total = 0;
};

/// The accounts of `all` that match `q`, on the page `q` asks for, in the
/// order of `all`.
page_of<account> select_accounts(const std::vector<account>& all,
                                 const account_query& q);

/// A task id as a path holds it: a positive decimal integer, nothing else
/// (no sign, no escapes).
bool parse_task_id(std::string_view text, task_id& out);

/// A body that must be a JSON object whose strings are all UTF-8, nesting
/// at most max_json_depth levels (model/text.hpp); 40001 otherwise.
api_error parse_json_object(std::string_view body, rapidjson::Document& doc);

/// The body of DELETE /api/v1/task/batch: 1-1000 ids, a repeated id kept
/// once, in the order given.
api_error parse_batch_ids(std::string_view body, std::vector<task_id>& ids);

/// Largest number of ids one batch delete may name.
constexpr size_t max_batch_ids = 1000;

/// The body of POST /api/v1/account; fields it lacks keep their value in
/// `out` (the defaults of `account`).
api_error parse_account(std::string_view body, account& out);

/// The Idempotency-Key header of a create: 1-255 characters.
api_error check_idempotency_key(std::string_view key);

} // namespace tmx

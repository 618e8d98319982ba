// The JSON side of the API: the {code, message, data} envelope and the
// bodies it carries. Pure functions (RapidJSON), no networking: the server
// only picks which body answers a request.
#pragma once

#include "actors/actors.hpp"
#include "model/device_json.hpp"
#include "model/request_parsing.hpp"
#include "model/task_json.hpp"

#include <string>

namespace tmx {

/// `{"code":0,"message":"success","data":...}` where `data` writes the
/// data value.
template <class WriteData>
std::string success_body(WriteData&& data) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("code");
  w.Int(0);
  w.Key("message");
  w.String("success");
  w.Key("data");
  data(w);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/// `{"code":N,"message":"...","data":null}`.
std::string error_body(const api_error& err);

/// `"<key>": [...]` with `write_item` for each item, inside an object.
template <class Items, class WriteItem>
void put_items(json_writer& w, const char* key, const Items& items,
               WriteItem& write_item) {
  w.Key(key);
  w.StartArray();
  for (auto& x : items)
    write_item(w, x);
  w.EndArray();
}

/// `{"<key>": [...]}` with `write_item` for each item.
template <class Items, class WriteItem>
std::string list_body(const char* key, const Items& items,
                      WriteItem write_item) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    put_items(w, key, items, write_item);
    w.EndObject();
  });
}

/// `{"<key>": [...], "total": N, "page": P, "page_size": S}`: the one shape
/// of every paged list. `items` is the page, `total` counts the whole list.
template <class Items, class WriteItem>
std::string page_body(const char* key, const Items& items, uint64_t total,
                      const paging& page, WriteItem write_item) {
  return success_body([&](json_writer& w) {
    w.StartObject();
    put_items(w, key, items, write_item);
    w.Key("total");
    w.Uint64(total);
    w.Key("page");
    w.Uint(page.page);
    w.Key("page_size");
    w.Uint(page.page_size);
    w.EndObject();
  });
}

/// `{"<key>": n}`, the reply of the bulk operations.
std::string count_body(const char* key, uint64_t n);

/// GET /api/v1/license/check on a plan with API access.
std::string license_body(const std::string& plan, int64_t device_limit);

/// `{"total": N, "pending": N, ...}`.
std::string stats_body(const task_counts& c);

/// `{"task_ids": [...], "created_count": N}`.
std::string created_body(const std::vector<task_id>& ids);

/// `{"deleted_count": N, "not_found": [...]}`: the ids of `asked` that are
/// not in `erased`, in the order asked.
std::string batch_deleted_body(const std::vector<task_id>& asked,
                               const std::vector<task_id>& erased);

/// One task object as the data.
std::string task_body(const task& t, millis now);

/// `{"tasks": [...], "total": ..., "page": ..., "page_size": ...}`.
std::string task_page_body(const task_page& p, const paging& page, millis now);

/// `{"accounts": [...], "total": ..., "page": ..., "page_size": ...}`.
std::string account_page_body(const page_of<account>& p, const paging& page);

void write_ids(json_writer& w, const std::vector<task_id>& ids);

void write_account(json_writer& w, const account& a);

/// `{"lines": [{"at": ISO-8601, "text": ...}]}`.
void write_log(json_writer& w, const std::vector<log_line>& lines);

} // namespace tmx

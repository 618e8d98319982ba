#include "http/server.hpp"

#include "actors/timeouts.hpp"
#include "http/json.hpp"
#include "model/time.hpp"

#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>
#include <set>

namespace tmx {

namespace {

using request = restinio::request_handle_t;

void reply(const request& req, int http, std::string body) {
  req->create_response(restinio::http_status_line_t{
       restinio::http_status_code_t{static_cast<uint16_t>(http)}, ""})
    .append_header(restinio::http_field::content_type,
                   "application/json; charset=utf-8")
    .set_body(std::move(body))
    .done();
}

void reply_error(const request& req, const api_error& err, int http = 0) {
  reply(req, http != 0 ? http : http_status(err.code), error_body(err));
}

template <class WriteData>
void reply_ok(const request& req, WriteData&& data) {
  reply(req, 200, success_body(std::forward<WriteData>(data)));
}

/// `{"<key>": n}`, the reply of the bulk operations.
void reply_count(const request& req, const char* key, uint64_t n) {
  reply_ok(req, [&](json_writer& w) {
    w.StartObject();
    put_count(w, key, n);
    w.EndObject();
  });
}

/// `{"<key>": [...]}` with `write_one` for each item.
template <class T, class WriteOne>
void reply_list(const request& req, const char* key,
                const std::vector<T>& items, WriteOne write_one) {
  reply_ok(req, [&](json_writer& w) {
    w.StartObject();
    w.Key(key);
    w.StartArray();
    for (auto& x : items)
      write_one(w, x);
    w.EndArray();
    w.EndObject();
  });
}

/// Parses a decimal integer in [lo, hi]; false on anything else.
bool parse_int(std::string_view text, int64_t lo, int64_t hi, int64_t& out) {
  auto end = text.data() + text.size();
  auto [ptr, err] = std::from_chars(text.data(), end, out);
  return err == std::errc{} && ptr == end && !text.empty() && out >= lo
         && out <= hi;
}

bool parse_task_id(std::string_view text, task_id& out) {
  int64_t v = 0;
  if (!parse_int(text, 1, INT64_MAX, v))
    return false;
  out = static_cast<task_id>(v);
  return true;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos)
      next = path.size();
    if (next > pos)
      parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

api_error parse_paging(const restinio::query_string_params_t& qp,
                       uint32_t& page, uint32_t& page_size);

/// Reads the list query of GET /api/v1/task.
api_error parse_list_query(const restinio::query_string_params_t& qp,
                           task_filter& filter, uint32_t& page,
                           uint32_t& page_size) {
  if (auto v = qp.get_param("status")) {
    task_status s;
    if (!parse_status(*v, s))
      return invalid("status must be an integer 0-3");
    filter.status = s;
  }
  if (auto v = qp.get_param("serial"))
    filter.serial = std::string(*v);
  if (auto v = qp.get_param("script_name"))
    filter.script_name = std::string(*v);
  if (auto v = qp.get_param("source")) {
    if (*v != "api" && *v != "ui")
      return invalid("source must be \"api\" or \"ui\"");
    filter.source = std::string(*v);
  }
  return parse_paging(qp, page, page_size);
}

/// Body of DELETE /api/v1/task/batch: 1-1000 ids, duplicates counted once.
api_error parse_batch_ids(std::string_view body, std::vector<task_id>& ids) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return invalid("body must be a JSON object");
  auto it = doc.FindMember("task_ids");
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Empty())
    return invalid("task_ids must be a non-empty array of task ids");
  if (it->value.Size() > 1000)
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

/// Body of POST /api/v1/account.
api_error parse_account(std::string_view body, account& out) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return invalid("body must be a JSON object");
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

/// page and page_size of a list query (defaults 1 and 20, at most 100).
api_error parse_paging(const restinio::query_string_params_t& qp,
                       uint32_t& page, uint32_t& page_size) {
  int64_t n = 0;
  if (auto v = qp.get_param("page")) {
    if (!parse_int(*v, 1, UINT32_MAX, n))
      return invalid("page must be an integer >= 1");
    page = static_cast<uint32_t>(n);
  }
  if (auto v = qp.get_param("page_size")) {
    if (!parse_int(*v, 1, 100, n))
      return invalid("page_size must be an integer 1-100");
    page_size = static_cast<uint32_t>(n);
  }
  return {};
}

/// The filter of GET /api/v1/account.
struct account_query {
  std::string serial;
  std::string platform;
  std::optional<bool> enabled;
  uint32_t page = 1;
  uint32_t page_size = 20;

  bool matches(const account& a) const {
    return (serial.empty() || a.serial == serial)
           && (platform.empty() || a.platform == platform)
           && (!enabled || a.enabled == *enabled);
  }
};

api_error parse_account_query(const restinio::query_string_params_t& qp,
                              account_query& q) {
  if (auto v = qp.get_param("serial"))
    q.serial = std::string(*v);
  if (auto v = qp.get_param("platform")) {
    if (*v != "tiktok" && *v != "instagram")
      return invalid("platform must be \"tiktok\" or \"instagram\"");
    q.platform = std::string(*v);
  }
  if (auto v = qp.get_param("enabled")) {
    if (*v != "true" && *v != "false")
      return invalid("enabled must be true or false");
    q.enabled = *v == "true";
  }
  return parse_paging(qp, q.page, q.page_size);
}

} // namespace

struct http_server::impl {
  using traits = restinio::default_traits_t;
  using running = restinio::running_server_handle_t<traits>;

  caf::actor_system& sys;
  server_handles handles;
  http_options opts;
  running server;

  impl(caf::actor_system& s, server_handles h, http_options o)
    : sys(s), handles(std::move(h)), opts(std::move(o)) {
  }

  /// Sends `xs` to `dest` from a short-lived actor and answers `req` with
  /// `on_ok` of the reply, or with the error.
  template <class Handle, class OnOk, class... Ts>
  void ask(const request& req, const Handle& dest, OnOk on_ok, Ts... xs) {
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, request_timeout, xs...)
        .then(on_ok, [=](caf::error& err) { reply_error(req, to_api_error(err)); });
    });
  }

  restinio::request_handling_status_t handle(request req) {
    try {
      return route(std::move(req));
    } catch (const std::exception& e) {
      spdlog::error("http: request failed: {}", e.what());
      reply_error(req, {ec::internal, "internal error"});
      return restinio::request_accepted();
    }
  }

  restinio::request_handling_status_t route(request req) {
    auto method = req->header().method();
    auto path = split_path(req->header().path());
    auto not_allowed = [&] {
      reply_error(req, invalid("method not allowed on this path"), 405);
      return restinio::request_accepted();
    };
    auto is = [&](restinio::http_method_id_t m) { return method == m; };
    if (path.size() < 2 || path[0] != "api" || path[1] != "v1") {
      reply_error(req, {ec::not_found, "no such route"});
      return restinio::request_accepted();
    }
    if (opts.license.plan == "Starter") {
      reply_error(req, {ec::no_api_access, "the Starter plan has no API "
                                           "access"});
      return restinio::request_accepted();
    }
    // Every handler reads at most max_body_bytes; RESTinio reads up to 8
    // times that so that the refusal can be a JSON error.
    if (req->body().size() > max_body_bytes) {
      reply_error(req, invalid("body is larger than 1 MiB"), 413);
      return restinio::request_accepted();
    }
    path.erase(path.begin(), path.begin() + 2);
    auto n = path.size();
    if (n == 2 && path[0] == "license" && path[1] == "check") {
      if (!is(restinio::http_method_get()))
        return not_allowed();
      license_check(req);
    } else if (n == 1 && path[0] == "device") {
      if (!is(restinio::http_method_get()))
        return not_allowed();
      devices(req);
    } else if (n == 3 && path[0] == "device" && path[2] == "screenshot") {
      if (!is(restinio::http_method_get()))
        return not_allowed();
      auto serial = restinio::utils::try_unescape_percent_encoding(path[1]);
      if (!serial) {
        reply_error(req, invalid("serial is not valid percent-encoding"));
        return restinio::request_accepted();
      }
      screenshot(req, std::move(*serial));
    } else if (n == 1 && path[0] == "node") {
      if (!is(restinio::http_method_get()))
        return not_allowed();
      nodes(req);
    } else if (n == 1 && path[0] == "account") {
      if (is(restinio::http_method_get()))
        list_accounts(req);
      else if (is(restinio::http_method_post()))
        put_account(req);
      else
        return not_allowed();
    } else if (n == 2 && path[0] == "account") {
      if (!is(restinio::http_method_delete()))
        return not_allowed();
      auto name = restinio::utils::try_unescape_percent_encoding(path[1]);
      if (!name) {
        reply_error(req, invalid("username is not valid percent-encoding"));
        return restinio::request_accepted();
      }
      erase_account(req, std::move(*name));
    } else if (n == 1 && path[0] == "task") {
      if (is(restinio::http_method_get()))
        list(req);
      else if (is(restinio::http_method_post()))
        create(req);
      else
        return not_allowed();
    } else if (n == 2 && path[0] == "task" && path[1] == "batch") {
      if (!is(restinio::http_method_delete()))
        return not_allowed();
      batch_delete(req);
    } else if (n == 2 && path[0] == "task" && path[1] == "stats") {
      if (!is(restinio::http_method_get()))
        return not_allowed();
      stats(req);
    } else if (n == 2 && path[0] == "task" && path[1] == "retry-all") {
      if (!is(restinio::http_method_post()))
        return not_allowed();
      ask(req, handles.manager,
          [req](uint64_t n) { reply_count(req, "retried_count", n); },
          retry_all_atom::value);
    } else if ((n == 2 || n == 3) && path[0] == "task") {
      task_id id = 0;
      bool action = n == 3 && (path[2] == "stop" || path[2] == "retry");
      bool log = n == 3 && path[2] == "log";
      if (n == 3 && !action && !log) {
        reply_error(req, {ec::not_found, "no such route"});
        return restinio::request_accepted();
      }
      if (action ? !is(restinio::http_method_post())
          : log  ? !is(restinio::http_method_get())
                 : !is(restinio::http_method_get())
                     && !is(restinio::http_method_delete()))
        return not_allowed();
      if (!parse_task_id(path[1], id)) {
        reply_error(req, invalid("task_id must be a positive integer"));
        return restinio::request_accepted();
      }
      if (log)
        show_log(req, id);
      else if (n == 3)
        task_action(req, id, path[2] == "stop");
      else if (is(restinio::http_method_get()))
        detail(req, id);
      else
        erase_one(req, id);
    } else {
      reply_error(req, {ec::not_found, "no such route"});
    }
    return restinio::request_accepted();
  }

  void license_check(const request& req) {
    reply_ok(req, [&](json_writer& w) {
      w.StartObject();
      w.Key("plan_name");
      w.String(opts.license.plan);
      w.Key("api_enabled");
      w.Bool(true);
      w.Key("device_limit");
      w.Int64(opts.license.device_limit);
      w.Key("message");
      w.String("API access enabled");
      w.EndObject();
    });
  }

  void devices(const request& req) {
    ask(req, handles.manager,
        [req](std::vector<device_info>& devs) {
          reply_list(req, "devices", devs, write_device);
        },
        device_atom::value);
  }

  /// The PNG itself, not the envelope (errors are the envelope).
  void screenshot(const request& req, std::string serial) {
    ask(req, handles.manager,
        [req](std::string& png) {
          req->create_response()
            .append_header(restinio::http_field::content_type, "image/png")
            .append_header(restinio::http_field::cache_control, "no-store")
            .set_body(std::move(png))
            .done();
        },
        screen_atom::value, std::move(serial));
  }

  void nodes(const request& req) {
    ask(req, handles.gate,
        [req](std::vector<node_info>& nodes) {
          reply_list(req, "nodes", nodes, write_node);
        },
        node_atom::value);
  }

  void list(const request& req) {
    task_filter filter;
    uint32_t page = 1;
    uint32_t page_size = 20;
    api_error err;
    try {
      auto qp = restinio::parse_query(req->header().query());
      err = parse_list_query(qp, filter, page, page_size);
    } catch (const std::exception&) {
      err = invalid("query string is malformed");
    }
    if (err) {
      reply_error(req, err);
      return;
    }
    ask(req, handles.db,
        [req, page, page_size](task_page& p) {
          auto now = now_millis();
          reply_ok(req, [&](json_writer& w) {
            w.StartObject();
            w.Key("tasks");
            w.StartArray();
            for (auto& t : p.tasks)
              write_task(w, t, now);
            w.EndArray();
            w.Key("total");
            w.Uint64(p.total);
            w.Key("page");
            w.Uint(page);
            w.Key("page_size");
            w.Uint(page_size);
            w.EndObject();
          });
        },
        list_atom::value, filter, page, page_size);
  }

  void create(const request& req) {
    const auto& body = req->body();
    create_command cmd;
    if (auto err = parse_create_request(body, now_millis(), cmd.req)) {
      reply_error(req, err);
      return;
    }
    auto& hdr = req->header();
    if (auto src = hdr.opt_value_of("X-Tmx-Source"); src && *src == "ui")
      cmd.source = "ui";
    if (auto key = hdr.opt_value_of("Idempotency-Key")) {
      if (key->empty() || key->size() > 255) {
        reply_error(req, invalid("Idempotency-Key must be 1-255 characters"));
        return;
      }
      cmd.idempotency_key = std::string(*key);
      cmd.fingerprint = body_fingerprint(body);
    }
    ask(req, handles.manager,
        [req](std::vector<task_id>& ids) {
          reply_ok(req, [&](json_writer& w) {
            w.StartObject();
            w.Key("task_ids");
            write_ids(w, ids);
            w.Key("created_count");
            w.Uint64(ids.size());
            w.EndObject();
          });
        },
        create_atom::value, std::move(cmd));
  }

  void stats(const request& req) {
    ask(req, handles.db,
        [req](task_counts& c) {
          reply_ok(req, [&](json_writer& w) {
            w.StartObject();
            w.Key("total");
            w.Uint64(c.total);
            for (int s = 0; s < status_count; ++s) {
              w.Key(status_text(static_cast<task_status>(s)).data());
              w.Uint64(c.by_status[s]);
            }
            w.EndObject();
          });
        },
        stats_atom::value);
  }

  static void reply_task(const request& req, const task& t) {
    auto now = now_millis();
    reply_ok(req, [&](json_writer& w) { write_task(w, t, now); });
  }

  void detail(const request& req, task_id id) {
    ask(req, handles.db, [req](task& t) { reply_task(req, t); },
        get_atom::value, id);
  }

  void task_action(const request& req, task_id id, bool is_stop) {
    auto on_ok = [req](task& t) { reply_task(req, t); };
    if (is_stop)
      ask(req, handles.manager, on_ok, stop_atom::value, id);
    else
      ask(req, handles.manager, on_ok, retry_atom::value, id);
  }

  void erase_one(const request& req, task_id id) {
    ask(req, handles.manager,
        [req](std::vector<task_id>& erased) {
          if (erased.empty()) {
            reply_error(req, {ec::not_found, "task not found"});
            return;
          }
          reply_count(req, "deleted_count", erased.size());
        },
        erase_atom::value, std::vector<task_id>{id});
  }

  void show_log(const request& req, task_id id) {
    ask(req, handles.db,
        [req](std::vector<log_line>& lines) {
          reply_ok(req, [&](json_writer& w) { write_log(w, lines); });
        },
        log_atom::value, id);
  }

  void put_account(const request& req) {
    account a;
    if (auto err = parse_account(req->body(), a)) {
      reply_error(req, err);
      return;
    }
    ask(req, handles.manager,
        [req](account& a) {
          reply_ok(req, [&](json_writer& w) { write_account(w, a); });
        },
        account_atom::value, std::move(a));
  }

  void list_accounts(const request& req) {
    account_query q;
    api_error err;
    try {
      err = parse_account_query(restinio::parse_query(req->header().query()),
                                q);
    } catch (const std::exception&) {
      err = invalid("query string is malformed");
    }
    if (err) {
      reply_error(req, err);
      return;
    }
    ask(req, handles.manager,
        [req, q](std::vector<account>& all) {
          std::vector<const account*> hits;
          for (auto& a : all)
            if (q.matches(a))
              hits.push_back(&a);
          auto first = std::min<size_t>(
            hits.size(), static_cast<size_t>(q.page - 1) * q.page_size);
          auto last = std::min<size_t>(hits.size(), first + q.page_size);
          reply_ok(req, [&](json_writer& w) {
            w.StartObject();
            w.Key("accounts");
            w.StartArray();
            for (auto i = first; i < last; ++i)
              write_account(w, *hits[i]);
            w.EndArray();
            w.Key("total");
            w.Uint64(hits.size());
            w.Key("page");
            w.Uint(q.page);
            w.Key("page_size");
            w.Uint(q.page_size);
            w.EndObject();
          });
        },
        account_atom::value);
  }

  void erase_account(const request& req, std::string username) {
    ask(req, handles.manager,
        [req](ok_atom) { reply_count(req, "deleted_count", 1); },
        account_atom::value, erase_atom::value, std::move(username));
  }

  void batch_delete(const request& req) {
    std::vector<task_id> ids;
    if (auto err = parse_batch_ids(req->body(), ids)) {
      reply_error(req, err);
      return;
    }
    ask(req, handles.manager,
        [req, ids](std::vector<task_id>& erased) {
          std::set<task_id> gone(erased.begin(), erased.end());
          reply_ok(req, [&](json_writer& w) {
            w.StartObject();
            w.Key("deleted_count");
            w.Uint64(erased.size());
            w.Key("not_found");
            w.StartArray();
            for (auto id : ids)
              if (gone.count(id) == 0)
                w.Uint64(id);
            w.EndArray();
            w.EndObject();
          });
        },
        erase_atom::value, ids);
  }
};

http_server::http_server(caf::actor_system& sys, server_handles handles,
                         http_options opts)
  : impl_(std::make_unique<impl>(sys, std::move(handles), std::move(opts))) {
}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  auto* self = impl_.get();
  // Bodies up to 8 MiB are read so that the handler can answer the 1 MiB
  // rule with a JSON error; beyond that RESTinio closes the connection.
  impl_->server = restinio::run_async(
    restinio::own_io_context(),
    restinio::server_settings_t<impl::traits>{}
      .address(self->opts.address)
      .port(self->opts.port)
      .incoming_http_msg_limits(
        restinio::incoming_http_msg_limits_t{}.max_body_size(8 * max_body_bytes))
      .handle_request_timeout(2 * request_timeout)
      .request_handler([self](request req) { return self->handle(std::move(req)); }),
    self->opts.threads);
}

void http_server::stop() {
  if (impl_ && impl_->server) {
    impl_->server->stop();
    impl_->server->wait();
    impl_->server.reset();
  }
}

} // namespace tmx

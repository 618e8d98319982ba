// The HTTP API server: the checks every request passes first, then
// RESTinio's express router over the route table, which hands the request
// to an endpoint (http/endpoints.hpp) as an exchange
// (http/restinio_exchange.hpp): the endpoints see no RESTinio.
#include "http/server.hpp"

#include "model/text.hpp"

#include "actors/timeouts.hpp"
#include "http/connection_gate.hpp"
#include "http/endpoints.hpp"
#include "http/event_stream.hpp"
#include "http/paths.hpp"
#include "http/restinio_exchange.hpp"
#include "http/web_files.hpp"

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <optional>
#include <vector>

namespace tmx {

namespace {

using request = restinio::request_handle_t;
using route_params = restinio::router::route_params_t;

void reply_error(const request& req, const api_error& err, int http = 0) {
  restinio_exchange(req).reply_error(err, http);
}

/// 50301 with the Retry-After a client waits before it tries again. `why`
/// is one of this file's fixed texts: nothing in it needs JSON escaping.
void reply_unavailable(const request& req, const char* why) {
  auto started = std::chrono::steady_clock::now();
  auto response = req->create_response(restinio::status_service_unavailable());
  response
    .append_header(restinio::http_field::content_type,
                   "application/json; charset=utf-8")
    .append_header(restinio::http_field::retry_after, "1")
    .set_body(std::string(R"({"code":50301,"message":")") + why
              + R"(","data":null})");
  count_response(503, started);
  response.done();
}

api_error no_route() {
  return {ec::not_found, "no such route"};
}

api_error not_allowed() {
  return invalid("method not allowed on this path");
}

/// Whether RESTinio's router matches `path` as it is written. It decodes
/// the escapes of unreserved characters first ("%61" is "a") and throws on
/// an escape it cannot read; and no pattern has an empty segment.
bool router_reads_as_written(std::string_view path) {
  if (path.find("//") != std::string_view::npos)
    return false;
  namespace normal = restinio::utils::uri_normalization::unreserved_chars;
  try {
    return normal::estimate_required_capacity({path.data(), path.size()})
           == path.size();
  } catch (const restinio::exception_t&) {
    return false;
  }
}

/// A path parameter as written and percent-decoded as RFC 3986 has it
/// ("@" and "+" raw are themselves).
path_param param_of(std::string_view raw) {
  return {raw, decode_path_segment(raw)};
}

} // namespace

/// RESTinio's defaults, with our cap on open connections (not RESTinio's
/// limiter: http/connection_gate.hpp says why).
struct server_traits : restinio::default_traits_t {
  using ip_blocker_t = connection_gate;
  using connection_state_listener_t = connection_gate;
};

struct http_server::impl {
  using traits = server_traits;
  using running = restinio::running_server_handle_t<traits>;
  using router_type = restinio::router::express_router_t<>;
  using serve_fn = void (endpoints::*)(const exchange_ptr&, const path_param&);

  /// One method on one path and the endpoint that serves it.
  struct route {
    const char* path; // express syntax, at most one :parameter
    restinio::http_method_id_t method;
    serve_fn serve;
  };

  http_options opts;
  caf::actor_system& sys;
  event_hub_actor hub;
  endpoints api;
  router_type router;
  std::vector<running> servers; // one per bound address
  in_flight_counter in_flight = std::make_shared<std::atomic<size_t>>(0);
  std::atomic<bool> draining{false};
  std::shared_ptr<connection_gate> gate; // one cap over every address
  web_files web;                         // the dashboard (web/)

  impl(caf::actor_system& sys, server_handles handles, http_options o)
    : opts(std::move(o)), sys(sys), hub(handles.hub),
      api(sys, std::move(handles), opts.license), web(opts.web_dir) {
    add_routes();
  }

  /// The route table. The methods of one path stand together, and a path
  /// with a fixed segment comes before one with a parameter in its place
  /// (/task/batch before /task/:task_id): the first match wins.
  static const std::vector<route>& routes() {
    using namespace restinio;
    using e = endpoints;
    static const std::vector<route> table{
      {"/api/v1/license/check", http_method_get(), &e::license_check},
      {"/api/v1/device", http_method_get(), &e::devices},
      {"/api/v1/device/:serial/screenshot", http_method_get(), &e::screenshot},
      {"/api/v1/node", http_method_get(), &e::nodes},
      {"/api/v1/account", http_method_get(), &e::list_accounts},
      {"/api/v1/account", http_method_post(), &e::put_account},
      {"/api/v1/account/:username", http_method_delete(), &e::erase_account},
      {"/api/v1/task", http_method_get(), &e::list},
      {"/api/v1/task", http_method_post(), &e::create},
      {"/api/v1/task/batch", http_method_delete(), &e::batch_delete},
      {"/api/v1/task/stats", http_method_get(), &e::stats},
      {"/api/v1/task/retry-all", http_method_post(), &e::retry_all},
      {"/api/v1/task/:task_id", http_method_get(), &e::detail},
      {"/api/v1/task/:task_id", http_method_delete(), &e::erase_one},
      {"/api/v1/task/:task_id/stop", http_method_post(), &e::stop},
      {"/api/v1/task/:task_id/retry", http_method_post(), &e::retry},
      {"/api/v1/task/:task_id/log", http_method_get(), &e::show_log},
      {"/api/v1/webhook", http_method_get(), &e::list_webhooks},
      {"/api/v1/webhook", http_method_post(), &e::add_webhook},
      {"/api/v1/webhook/:id", http_method_delete(), &e::erase_webhook},
      {"/api/v1/webhook/:id/deliveries", http_method_get(),
       &e::webhook_deliveries},
      {"/api/v1/group", http_method_get(), &e::list_groups},
      {"/api/v1/group", http_method_post(), &e::put_group},
      {"/api/v1/group/:name", http_method_delete(), &e::erase_group},
      {"/api/v1/schedule", http_method_get(), &e::list_schedules},
      {"/api/v1/schedule", http_method_post(), &e::add_schedule},
      {"/api/v1/schedule/:id", http_method_get(), &e::get_schedule},
      {"/api/v1/schedule/:id", http_method_post(), &e::update_schedule},
      {"/api/v1/schedule/:id", http_method_delete(), &e::erase_schedule},
      {"/api/v1/schedule/:id/run", http_method_post(), &e::run_schedule},
    };
    return table;
  }

  void serve(const route& r, const request& req, std::string_view raw) {
    (api.*r.serve)(std::make_shared<restinio_exchange>(req, in_flight,
                                                       route_label(r.path)),
                   param_of(raw));
  }

  /// Each route, then per path the methods it does not serve (405), then
  /// 404 for the rest. Case-sensitive, as a path is; a trailing "/" is
  /// allowed, as it always was.
  void add_routes() {
    auto exact = restinio::path2regex::options_t{}.sensitive(true);
    auto& table = routes();
    for (size_t i = 0; i < table.size();) {
      std::string_view path = table[i].path;
      restinio::router::dynamic_none_of_methods_matcher_t others;
      for (; i < table.size() && table[i].path == path; ++i) {
        const route& r = table[i];
        auto name = param_name(path);
        others.add(r.method);
        router.add_handler(
          r.method, path, exact,
          [this, &r, name](request req, route_params params) {
            serve(r, req,
                  name.empty() ? std::string_view{}
                               : view(params[{name.data(), name.size()}]));
            return restinio::request_accepted();
          });
      }
      router.add_handler(std::move(others), path, exact,
                         [](request req, route_params) {
                           reply_error(req, not_allowed(), 405);
                           return restinio::request_accepted();
                         });
    }
    router.non_matched_request_handler([](request req) {
      reply_error(req, no_route());
      return restinio::request_accepted();
    });
  }

  /// The same table for a path the router would read otherwise than it is
  /// written: matched segment by segment as written, so that such a path
  /// gets the answer it always got (GET //api/v1/task lists; /task/%31 is
  /// no task id; a bad escape in a username is 40001 naming it).
  void route_as_written(const request& req) {
    auto& table = routes();
    auto path = view(req->header().path());
    for (size_t i = 0; i < table.size(); ++i) {
      std::string_view param;
      if (!has_segments_of(table[i].path, path, param))
        continue;
      std::string_view group = table[i].path;
      for (size_t j = i; j < table.size() && table[j].path == group; ++j)
        if (table[j].method == req->header().method())
          return serve(table[j], req, param);
      return reply_error(req, not_allowed(), 405);
    }
    reply_error(req, no_route());
  }

  /// With http.token set, the request must carry it as a bearer token.
  bool authorised(const request& req) const {
    if (opts.token.empty())
      return true;
    auto value = req->header().opt_value_of(
      restinio::http_field::authorization);
    constexpr std::string_view scheme = "Bearer ";
    if (!value || value->size() < scheme.size()
        || view(*value).substr(0, scheme.size()) != scheme)
      return false;
    return same_secret(view(*value).substr(scheme.size()), opts.token);
  }

  /// What every request passes before its route: only /api/v1/ is the API;
  /// Starter has none of it; a body over 1 MiB is refused whatever the
  /// route (RESTinio reads up to 8 times that, so that this is JSON).
  restinio::request_handling_status_t handle(const request& req) {
    try {
      auto path = view(req->header().path());
      auto parts = split_path(path);
      bool get = req->header().method() == restinio::http_method_get();
      if (get && path == "/healthz")
        restinio_exchange(req, nullptr, "/healthz").reply_text(200, "ok");
      else if (get && path == "/readyz")
        api.ready(std::make_shared<restinio_exchange>(req, nullptr, "/readyz"),
                  draining);
      else if (get && path == "/metrics")
        api.metrics(
          std::make_shared<restinio_exchange>(req, nullptr, "/metrics"));
      else if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1") {
        // Outside the API: the dashboard's files, no token needed (the
        // page must load to ask for it; it holds no farm data).
        auto file = get ? web.find(path) : nullptr;
        if (file)
          reply_web_file(req, *file);
        else
          reply_error(req, no_route());
      } else if (!authorised(req))
        reply_error(req, {ec::unauthorized, "missing or wrong API token "
                                            "(Authorization: Bearer ...)"});
      else if (draining)
        reply_unavailable(req, "the server is shutting down");
      else if (*in_flight >= opts.max_in_flight)
        reply_unavailable(req, "too many requests in flight");
      else if (opts.license.plan == "Starter")
        reply_error(req,
                    {ec::no_api_access, "the Starter plan has no API access"});
      else if (path == "/api/v1/events" || path == "/api/v1/events/") {
        if (get)
          serve_event_stream(req, hub, opts.max_unsent_events);
        else
          reply_error(req, not_allowed(), 405);
      } else if (req->body().size() > max_body_bytes)
        reply_error(req, invalid("body is larger than 1 MiB"), 413);
      else if (router_reads_as_written(path))
        return router(req);
      else
        route_as_written(req);
    } catch (const std::exception& e) {
      spdlog::error("http: request failed: {}", e.what());
      reply_error(req, {ec::internal, "internal error"});
    }
    return restinio::request_accepted();
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
  self->gate = std::make_shared<connection_gate>(self->opts.max_connections);
  // Bodies up to 8 MiB are read so that the handler can answer the 1 MiB
  // rule with a JSON error; beyond that RESTinio closes the connection.
  // Headers are bounded as well, so that a client cannot make a
  // connection hold much memory.
  auto limits = restinio::incoming_http_msg_limits_t{}
                  .max_body_size(8 * max_body_bytes)
                  .max_url_size(16 * 1024)
                  .max_field_name_size(1024)
                  .max_field_value_size(16 * 1024)
                  .max_field_count(100);
  auto serve = [&](const std::string& address, size_t threads) {
    impl_->servers.push_back(restinio::run_async(
      restinio::own_io_context(),
      restinio::server_settings_t<impl::traits>{}
        .address(address)
        .port(self->opts.port)
        .incoming_http_msg_limits(limits)
        .ip_blocker(self->gate)
        .connection_state_listener(self->gate)
        // An idle or half-sent request, or a client that does not read
        // its reply, gives its connection up after these.
        .read_next_http_message_timelimit(self->opts.idle_timeout)
        .write_http_response_timelimit(self->opts.idle_timeout)
        .handle_request_timeout(2 * request_timeout)
        .request_handler([self](request req) { return self->handle(req); }),
      threads));
  };
  if (self->opts.address != "localhost") {
    serve(self->opts.address, self->opts.threads);
    return;
  }
  // Clients that resolve "localhost" to ::1 first must not be refused; a
  // machine without IPv6 is no error.
  serve("127.0.0.1", self->opts.threads);
  try {
    serve("::1", 1);
  } catch (const std::exception& e) {
    spdlog::info("http: not listening on [::1]: {}", e.what());
  }
}

void http_server::drain(std::chrono::milliseconds deadline) {
  if (!impl_)
    return;
  impl_->draining = true;
  auto end = std::chrono::steady_clock::now() + deadline;
  // Event streams end first, cleanly: they are never "in flight".
  end_event_streams(impl_->sys, impl_->hub, deadline);
  // Requests already handed to actors finish (their writes too); new ones
  // are answered 50301 meanwhile.
  while (*impl_->in_flight > 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void http_server::stop() {
  if (!impl_)
    return;
  for (auto& server : impl_->servers)
    server->stop();
  for (auto& server : impl_->servers)
    server->wait();
  impl_->servers.clear();
}

} // namespace tmx

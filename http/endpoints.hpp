// The API's endpoints: each reads its request (model/request_parsing.hpp,
// model/create_request.hpp), asks the actor that owns the answer and
// replies with a body of http/json.hpp. They never touch state, and they
// see no RESTinio: http/server.cpp routes an exchange to one of them.
#pragma once

#include "actors/root.hpp"
#include "http/exchange.hpp"
#include "http/server.hpp"

#include <caf/fwd.hpp>

namespace tmx {

class endpoints {
public:
  endpoints(caf::actor_system& sys, server_handles handles,
            license_options license);

  // One member per method and path; `p` is the path's parameter.

  /// /readyz: "ready", or 503 with why not (shutting down, the store
  /// cannot write). Not the envelope.
  void ready(const exchange_ptr& ex, bool shutting_down);

  /// /metrics: the Prometheus text format, the gauges asked of the
  /// actors (http/metrics_endpoint.cpp). Not the envelope.
  void metrics(const exchange_ptr& ex);

  void license_check(const exchange_ptr& ex, const path_param& p);
  void devices(const exchange_ptr& ex, const path_param& p);
  void screenshot(const exchange_ptr& ex, const path_param& serial);
  void nodes(const exchange_ptr& ex, const path_param& p);
  void list_accounts(const exchange_ptr& ex, const path_param& p);
  void put_account(const exchange_ptr& ex, const path_param& p);
  void erase_account(const exchange_ptr& ex, const path_param& username);
  void list(const exchange_ptr& ex, const path_param& p);
  void create(const exchange_ptr& ex, const path_param& p);
  void batch_delete(const exchange_ptr& ex, const path_param& p);
  void stats(const exchange_ptr& ex, const path_param& p);
  void retry_all(const exchange_ptr& ex, const path_param& p);
  void detail(const exchange_ptr& ex, const path_param& task_id);
  void erase_one(const exchange_ptr& ex, const path_param& task_id);
  void stop(const exchange_ptr& ex, const path_param& task_id);
  void retry(const exchange_ptr& ex, const path_param& task_id);
  void show_log(const exchange_ptr& ex, const path_param& task_id);

  // Webhooks (http/webhook_endpoints.cpp).
  void list_webhooks(const exchange_ptr& ex, const path_param& p);
  void add_webhook(const exchange_ptr& ex, const path_param& p);
  void erase_webhook(const exchange_ptr& ex, const path_param& id);
  void webhook_deliveries(const exchange_ptr& ex, const path_param& id);

  // Device groups (http/group_endpoints.cpp).
  void list_groups(const exchange_ptr& ex, const path_param& p);
  void put_group(const exchange_ptr& ex, const path_param& p);
  void erase_group(const exchange_ptr& ex, const path_param& name);

  // Schedules (http/schedule_endpoints.cpp).
  void list_schedules(const exchange_ptr& ex, const path_param& p);
  void add_schedule(const exchange_ptr& ex, const path_param& p);
  void get_schedule(const exchange_ptr& ex, const path_param& id);
  void update_schedule(const exchange_ptr& ex, const path_param& id);
  void erase_schedule(const exchange_ptr& ex, const path_param& id);
  void run_schedule(const exchange_ptr& ex, const path_param& id);

private:
  /// Sends `xs` to `dest` and answers `ex` with `on_ok` of the reply, or
  /// with the error: the one place where a request meets an actor.
  template <class Handle, class OnOk, class... Ts>
  void ask(const exchange_ptr& ex, const Handle& dest, OnOk on_ok, Ts... xs);

  /// The same with `on_error` for a failed request (ask's answers the
  /// envelope).
  template <class Handle, class OnOk, class OnError, class... Ts>
  void ask_or(const Handle& dest, OnOk on_ok, OnError on_error, Ts... xs);

  caf::actor_system& sys_;
  server_handles handles_;
  license_options license_;
};

} // namespace tmx

// The one mapping between caf::error and the API's error codes.
#include "actors/actors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace tmx {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<task>("tmx::task")
    .add_message_type<task_filter>("tmx::task_filter")
    .add_message_type<task_page>("tmx::task_page")
    .add_message_type<task_counts>("tmx::task_counts")
    .add_message_type<idempotency_record>("tmx::idempotency_record")
    .add_message_type<device_desc>("tmx::device_desc")
    .add_message_type<device_info>("tmx::device_info")
    .add_message_type<run_order>("tmx::run_order")
    .add_message_type<run_result>("tmx::run_result")
    .add_message_type<create_request>("tmx::create_request")
    .add_message_type<create_command>("tmx::create_command")
    .add_message_type<log_line>("tmx::log_line")
    .add_message_type<task_log>("tmx::task_log")
    .add_message_type<due_entry>("tmx::due_entry")
    .add_message_type<queued_entry>("tmx::queued_entry")
    .add_message_type<std::vector<queued_entry>>(
      "std::vector<tmx::queued_entry>")
    .add_message_type<queue_slice>("tmx::queue_slice")
    .add_message_type<account>("tmx::account")
    .add_message_type<device_group>("tmx::device_group")
    .add_message_type<schedule>("tmx::schedule")
    .add_message_type<schedule_patch>("tmx::schedule_patch")
    .add_message_type<node_info>("tmx::node_info")
    .add_message_type<device_host_actor>("tmx::device_host_actor")
    .add_message_type<device_actor>("tmx::device_actor")
    .add_message_type<gatekeeper_actor>("tmx::gatekeeper_actor")
    .add_message_type<device_report_actor>("tmx::device_report_actor")
    .add_message_type<account_actor>("tmx::account_actor")
    .add_message_type<limiter_actor>("tmx::limiter_actor")
    .add_message_type<scheduler_actor>("tmx::scheduler_actor")
    .add_message_type<due_sink_actor>("tmx::due_sink_actor")
    .add_message_type<task_manager_actor>("tmx::task_manager_actor")
    .add_message_type<store_actor>("tmx::store_actor")
    .add_message_type<store_reader_actor>("tmx::store_reader_actor");
}

caf::error make_error(ec code, std::string message) {
  return caf::error(static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message)));
}

caf::error make_error(ec code) {
  return caf::error(static_cast<uint8_t>(code), error_category);
}

api_error to_api_error(const caf::error& err) {
  if (err.category() == error_category) {
    api_error result{static_cast<ec>(err.code()), ""};
    if (err.context().match_elements<std::string>())
      result.message = err.context().get_as<std::string>(0);
    if (result.message.empty())
      result.message = result.code == ec::not_found ? "task not found"
                                                    : "request failed";
    return result;
  }
  // CAF's own errors (timeouts, dead actors) are internal to us: say what
  // happened in words a client can act on, without internals.
  if (err == caf::sec::request_timeout)
    return {ec::internal, "internal error: the server did not answer in time"};
  return {ec::internal, "internal error"};
}

} // namespace tmx

#include "model/task.hpp"

namespace tmx {

std::string_view status_text(task_status s) {
  switch (s) {
    case task_status::pending: return "pending";
    case task_status::running: return "running";
    case task_status::completed: return "completed";
    case task_status::failed: return "failed";
  }
  return "unknown";
}

bool parse_status(std::string_view text, task_status& out) {
  if (text.size() != 1 || text[0] < '0' || text[0] > '3')
    return false;
  out = static_cast<task_status>(text[0] - '0');
  return true;
}

bool operator==(const task& a, const task& b) {
  return a.id == b.id && a.serial == b.serial && a.username == b.username
         && a.script_name == b.script_name && a.script_config == b.script_config
         && a.status == b.status && a.source == b.source
         && a.scheduled_at == b.scheduled_at && a.created_at == b.created_at
         && a.started_at == b.started_at && a.finished_at == b.finished_at
         && a.retry_count == b.retry_count && a.remark == b.remark
         && a.node == b.node && a.queue_seq == b.queue_seq
         && a.auto_retry_count == b.auto_retry_count
         && a.exit_code == b.exit_code && a.schedule_id == b.schedule_id;
}

} // namespace tmx

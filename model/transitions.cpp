// The task transitions (see transitions.hpp).
#include "model/transitions.hpp"

namespace tmx {

task stopped(const task& t, millis now) {
  task out = t;
  if (t.status == task_status::running)
    out.finished_at = now;
  out.status = task_status::failed;
  out.remark = stopped_remark;
  return out;
}

task started(const task& t, const std::string& node, millis now) {
  task out = t;
  out.status = task_status::running;
  out.started_at = now;
  out.finished_at = 0;
  out.exit_code = no_exit_code;
  out.node = node;
  return out;
}

task retried(const task& t, uint64_t queue_seq, millis now) {
  task out = t;
  out.status = task_status::pending;
  out.retry_count += 1;
  out.remark.clear();
  out.queue_seq = queue_seq;
  // A task whose start time passed long ago runs now, not at that time.
  if (out.scheduled_at != 0 && out.scheduled_at < now)
    out.scheduled_at = 0;
  return out;
}

task interrupted(const task& t, millis now) {
  task out = t;
  out.status = task_status::failed;
  out.finished_at = now;
  out.remark = interrupted_remark;
  return out;
}

task_log start_log(const task& started) {
  return {started.id, {{started.started_at, start_line(started)}}, false};
}

task_log end_log(const task& ended) {
  return {ended.id, {{ended.finished_at, "failed: " + ended.remark}}, true};
}

bool retries_automatically(const task& t, bool ok, const retry_policy& policy) {
  return !ok && t.auto_retry_count < policy.max_auto;
}

run_end after_run(const task& t, run_result r, const retry_policy& policy,
                  millis now, millis retry_delay, uint64_t queue_seq) {
  run_end out{t, {t.id, std::move(r.lines), true}};
  auto& next = out.t;
  next.finished_at = now;
  next.remark = r.remark;
  next.exit_code = r.exit_code;
  out.log.lines.push_back({now, r.ok ? "completed" : "failed: " + r.remark});
  if (retries_automatically(t, r.ok, policy)) {
    // The remark keeps the error; the task waits out the delay.
    next = retried(next, queue_seq, now);
    next.remark = r.remark;
    next.auto_retry_count += 1;
    next.scheduled_at = now + retry_delay;
    out.log.lines.push_back(
      {now, "automatic retry " + std::to_string(next.auto_retry_count) + " of "
              + std::to_string(policy.max_auto)});
  } else {
    next.status = r.ok ? task_status::completed : task_status::failed;
  }
  return out;
}

} // namespace tmx

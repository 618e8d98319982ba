// Event types, the task event of a transition, and the event's JSON and SSE
// forms.
#include "model/event.hpp"

#include "model/task_json.hpp"
#include "model/time.hpp"

namespace tmx {

const char* to_string(event_type t) {
  switch (t) {
    case event_type::task_created: return "task.created";
    case event_type::task_started: return "task.started";
    case event_type::task_completed: return "task.completed";
    case event_type::task_failed: return "task.failed";
    case event_type::task_retried: return "task.retried";
    case event_type::task_deleted: return "task.deleted";
    case event_type::device_updated: return "device.updated";
    case event_type::node_online: return "node.online";
    case event_type::node_offline: return "node.offline";
  }
  return "unknown";
}

std::optional<event_type> parse_event_type(std::string_view s) {
  for (auto t : all_event_types)
    if (s == to_string(t))
      return t;
  return std::nullopt;
}

const char* subject_of(event_type t) {
  if (is_task_event(t))
    return "task";
  return t == event_type::device_updated ? "device" : "node";
}

bool is_task_event(event_type t) {
  return t <= event_type::task_deleted;
}

std::optional<std::vector<event_type>> parse_event_types(std::string_view list,
                                                         std::string& bad) {
  bad.clear();
  if (list.empty())
    return std::nullopt;
  std::vector<event_type> out;
  while (true) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    auto t = parse_event_type(item);
    if (!t) {
      bad = std::string(item);
      return std::nullopt;
    }
    out.push_back(*t);
    if (comma == std::string_view::npos)
      return out;
    list.remove_prefix(comma + 1);
  }
}

std::optional<event_type> task_event_of(const task* before, const task* after) {
  if (!before)
    return after ? std::optional{event_type::task_created} : std::nullopt;
  if (!after)
    return event_type::task_deleted;
  if (before->status == after->status)
    return std::nullopt;
  switch (after->status) {
    case task_status::running: return event_type::task_started;
    case task_status::completed: return event_type::task_completed;
    case task_status::failed: return event_type::task_failed;
    case task_status::pending: return event_type::task_retried;
  }
  return std::nullopt;
}

namespace {

event with_subject(event_type type, millis at, std::string_view subject) {
  event e;
  e.type = type;
  e.at = at;
  auto time = format_time(at);
  e.data.reserve(subject.size() + 64);
  e.data.append(R"({"type":")").append(to_string(type));
  e.data.append(R"(","at":")").append(time);
  e.data.append(R"(",")").append(subject_of(type)).append(R"(":)");
  e.data.append(subject).append("}");
  return e;
}

} // namespace

event make_task_event(event_type type, millis at, const task& t) {
  return with_subject(type, at, task_json(t, at));
}

event make_event(event_type type, millis at, std::string_view subject_json) {
  return with_subject(type, at, subject_json);
}

void append_sse(std::string& out, const event& e) {
  out.append("id: ").append(std::to_string(e.id));
  out.append("\nevent: ").append(subject_of(e.type));
  out.append("\ndata: ").append(e.data).append("\n\n");
}

} // namespace tmx

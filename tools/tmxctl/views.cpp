// Tables and summary lines of the API's objects (see views.hpp).
#include "tools/tmxctl/views.hpp"

#include "tools/tmxctl/api.hpp"

#include <cstdio>
#include <map>
#include <ostream>

namespace tmxctl {

namespace {

colour status_colour(const std::string& status) {
  static const std::map<std::string, colour> colours{
    {"pending", colour::yellow},
    {"running", colour::cyan},
    {"completed", colour::green},
    {"failed", colour::red}};
  auto it = colours.find(status);
  return it == colours.end() ? colour::none : it->second;
}

colour state_colour(const std::string& state) {
  static const std::map<std::string, colour> colours{{"online", colour::green},
                                                     {"busy", colour::cyan},
                                                     {"offline", colour::red}};
  auto it = colours.find(state);
  return it == colours.end() ? colour::none : it->second;
}

cell coloured(const rapidjson::Value& v, colour (*pick)(const std::string&)) {
  auto t = text(v);
  return {t, pick(t)};
}

std::string joined(const rapidjson::Value& strings) {
  std::string out;
  for (auto* s : items(strings))
    out += (out.empty() ? "" : ", ") + text(*s);
  return out.empty() ? "-" : out;
}

// "<n> <name>" for each of `names`, with `n` coloured, comma separated.
std::string tally(const terminal& term,
                  const std::vector<std::pair<std::string, uint64_t>>& counts,
                  colour (*pick)(const std::string&)) {
  std::string out;
  for (auto& [name, n] : counts)
    out += (out.empty() ? "" : ", ")
           + term.paint(std::to_string(n), n == 0 ? colour::none : pick(name))
           + " " + name;
  return out;
}

/// The time of an event to the millisecond: "2026-11-29 14:30:00.123".
std::string event_time(const rapidjson::Value& v) {
  auto s = text(v);
  if (!v.IsString() || s.size() < 23)
    return s;
  return s.substr(0, 10) + " " + s.substr(11, 12);
}

/// The key fields of an event's subject, two spaces apart.
std::string subject_fields(const terminal& term, const rapidjson::Value& data) {
  std::vector<std::string> parts;
  auto add = [&](const rapidjson::Value& v) {
    if (!v.IsNull() && !(v.IsString() && v.GetStringLength() == 0))
      parts.push_back(text(v));
  };
  if (const auto& t = field(data, "task"); t.IsObject()) {
    parts.push_back("task " + text(field(t, "id")));
    auto status = text(field(t, "status_text"));
    parts.push_back(term.paint(status, status_colour(status)));
    add(field(t, "serial"));
    add(field(t, "username"));
    add(field(t, "script_name"));
    add(field(t, "remark"));
  } else if (const auto& d = field(data, "device"); d.IsObject()) {
    parts.push_back("device " + text(field(d, "serial")));
    auto state = text(field(d, "state"));
    parts.push_back(term.paint(state, state_colour(state)));
    add(field(d, "state_reason"));
    if (const auto& running = field(d, "running_task_id"); !running.IsNull())
      parts.push_back("task " + text(running));
  } else if (const auto& n = field(data, "node"); n.IsObject()) {
    parts.push_back("node " + text(field(n, "name")));
    auto state = text(field(n, "state"));
    parts.push_back(term.paint(state, state_colour(state)));
    add(field(n, "address"));
  }
  std::string out;
  for (auto& p : parts)
    out += (out.empty() ? "" : "  ") + p;
  return out;
}

} // namespace

std::string short_time(const rapidjson::Value& v) {
  auto s = text(v);
  if (!v.IsString() || s.size() < 19)
    return s;
  return s.substr(0, 10) + " " + s.substr(11, 8);
}

std::string short_duration(const rapidjson::Value& seconds) {
  if (!seconds.IsNumber())
    return "-";
  double s = seconds.GetDouble();
  char buf[32];
  auto whole = static_cast<long long>(s);
  if (s < 1)
    std::snprintf(buf, sizeof buf, "%.0fms", s * 1000);
  else if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", whole / 60, whole % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", whole / 3600,
                  whole / 60 % 60);
  return buf;
}

void print_tasks(std::ostream& out, const terminal& term,
                 const rapidjson::Value& tasks) {
  table t({">ID", "STATUS", "SERIAL", "ACCOUNT", "SCRIPT", "SOURCE", "CREATED",
           ">DURATION", "NODE", "REMARK"});
  t.limit(9, 40);
  for (auto* task : items(tasks))
    t.add({text(field(*task, "id")),
           coloured(field(*task, "status_text"), status_colour),
           text(field(*task, "serial")), text(field(*task, "username")),
           text(field(*task, "script_name")), text(field(*task, "source")),
           short_time(field(*task, "created_at")),
           short_duration(field(*task, "duration_s")),
           text(field(*task, "node")), text(field(*task, "remark"), "")});
  t.print(out, term);
}

void print_task(std::ostream& out, const terminal& term,
                const rapidjson::Value& task, const rapidjson::Value& log) {
  auto at = [&](const char* name) { return text(field(task, name)); };
  auto when = [&](const char* name) { return short_time(field(task, name)); };
  table t;
  t.add({"id", at("id")});
  t.add({"status", coloured(field(task, "status_text"), status_colour)});
  t.add({"serial", at("serial")});
  t.add({"account", at("username")});
  t.add({"script", at("script_name")});
  t.add({"source", at("source")});
  t.add({"node", at("node")});
  t.add({"scheduled", when("scheduled_at")});
  t.add({"created", when("created_at")});
  t.add({"started", when("started_at")});
  t.add({"finished", when("finished_at")});
  t.add({"duration", short_duration(field(task, "duration_s"))});
  t.add({"retries", at("retry_count")});
  t.add({"remark", at("remark")});
  t.add({"config", json_text(field(task, "script_config"))});
  t.print(out, term);
  auto lines = items(field(log, "lines"));
  out << '\n'
      << term.paint("log", colour::bold) << (lines.empty() ? " (empty)" : "")
      << '\n';
  for (auto* line : lines) {
    auto stamp = text(field(*line, "at"));
    // The time of day with milliseconds: a run rarely spans midnight.
    out << "  "
        << term.paint(stamp.size() >= 23 ? stamp.substr(11, 12) : stamp,
                      colour::dim)
        << "  " << text(field(*line, "text")) << '\n';
  }
}

void print_devices(std::ostream& out, const terminal& term,
                   const rapidjson::Value& devices) {
  table t(
    {"SERIAL", "NODE", "STATE", ">RUNNING", ">QUEUED", "ACCOUNTS", "GROUPS"});
  for (auto* d : items(devices))
    t.add({text(field(*d, "serial")), text(field(*d, "node")),
           coloured(field(*d, "state"), state_colour),
           text(field(*d, "running_task_id")), text(field(*d, "queued")),
           joined(field(*d, "accounts")), joined(field(*d, "groups"))});
  t.print(out, term);
}

void print_nodes(std::ostream& out, const terminal& term,
                 const rapidjson::Value& nodes) {
  table t(
    {"NAME", "ADDRESS", "STATE", ">DEVICES", "CONNECTED SINCE", "LAST SEEN"});
  for (auto* n : items(nodes))
    t.add({text(field(*n, "name")), text(field(*n, "address")),
           coloured(field(*n, "state"), state_colour),
           std::to_string(items(field(*n, "devices")).size()),
           short_time(field(*n, "connected_since")),
           short_time(field(*n, "last_seen"))});
  t.print(out, term);
}

void print_accounts(std::ostream& out, const terminal& term,
                    const rapidjson::Value& accounts) {
  table t({"USERNAME", "SERIAL", "PLATFORM", "ENABLED"});
  for (auto* a : items(accounts)) {
    bool enabled = field(*a, "enabled").IsTrue();
    t.add({text(field(*a, "username")),
           text(field(*a, "serial")),
           text(field(*a, "platform")),
           {enabled ? "yes" : "no", enabled ? colour::none : colour::dim}});
  }
  t.print(out, term);
}

void print_groups(std::ostream& out, const terminal& term,
                  const rapidjson::Value& groups) {
  table t({"NAME", ">DEVICES", "SERIALS", "CREATED"});
  t.limit(2, 60);
  for (auto* g : items(groups))
    t.add({text(field(*g, "name")),
           std::to_string(items(field(*g, "serials")).size()),
           joined(field(*g, "serials")), short_time(field(*g, "created_at"))});
  t.print(out, term);
}

void print_schedules(std::ostream& out, const terminal& term,
                     const rapidjson::Value& schedules) {
  static const char* const days[] = {"Mon", "Tue", "Wed", "Thu",
                                     "Fri", "Sat", "Sun"};
  table t({">ID", "NAME", "ENABLED", "WEEKDAYS", "TIMES", "NEXT RUN",
           "LAST RUN", "LAST TASKS"});
  t.limit(1, 30);
  t.limit(4, 40);
  for (auto* s : items(schedules)) {
    std::string weekdays;
    auto listed = items(field(*s, "weekdays"));
    for (auto* d : listed)
      if (auto n = number(*d); n >= 1 && n <= 7)
        weekdays += (weekdays.empty() ? "" : " ") + std::string(days[n - 1]);
    if (listed.size() == 7)
      weekdays = "every day";
    bool enabled = field(*s, "enabled").IsTrue();
    auto tasks = items(field(*s, "last_task_ids"));
    std::string last_tasks = tasks.empty() ? "-" : text(*tasks.front());
    if (tasks.size() > 1)
      last_tasks += "-" + text(*tasks.back()) + " ("
                    + std::to_string(tasks.size()) + ")";
    t.add({text(field(*s, "id")), text(field(*s, "name")),
           cell(enabled ? "yes" : "no", enabled ? colour::green : colour::dim),
           weekdays, joined(field(*s, "times")),
           short_time(field(*s, "next_run_at")),
           short_time(field(*s, "last_run_at")), last_tasks});
  }
  t.print(out, term);
}

std::string stats_line(const terminal& term, const rapidjson::Value& stats) {
  std::vector<std::pair<std::string, uint64_t>> counts;
  for (const char* s : {"pending", "running", "completed", "failed"})
    counts.emplace_back(s, number(field(stats, s)));
  return std::to_string(number(field(stats, "total")))
         + " total: " + tally(term, counts, status_colour);
}

std::string states_line(const terminal& term, const rapidjson::Value& objects,
                        const std::vector<std::string>& states) {
  std::vector<std::pair<std::string, uint64_t>> counts;
  for (auto& s : states)
    counts.emplace_back(s, 0);
  auto all = items(objects);
  for (auto* d : all)
    for (auto& [state, n] : counts)
      n += text(field(*d, "state")) == state;
  return std::to_string(all.size()) + ": " + tally(term, counts, state_colour);
}

std::string event_line(const terminal& term, const rapidjson::Value& data) {
  auto type = text(field(data, "type"));
  // Types are at most 14 characters ("task.completed", "device.updated").
  auto pad = std::string(type.size() < 14 ? 14 - type.size() : 0, ' ');
  auto subject = subject_fields(term, data);
  return term.paint(event_time(field(data, "at")), colour::dim) + "  "
         + term.paint(type, colour::bold)
         + (subject.empty() ? "" : pad + "  " + subject);
}

std::string page_line(const std::string& what, const rapidjson::Value& data) {
  auto shown = items(field(data, what.c_str())).size();
  auto total = number(field(data, "total"));
  auto page = std::max<uint64_t>(number(field(data, "page"), 1), 1);
  auto size = std::max<uint64_t>(number(field(data, "page_size"), 1), 1);
  if (total == 0)
    return "no " + what;
  auto pages = std::to_string((total + size - 1) / size);
  if (shown == 0)
    return "page " + std::to_string(page) + " is past the last (" + pages
           + "); " + std::to_string(total) + " " + what + " in all";
  auto first = (page - 1) * size + 1;
  return what + " " + std::to_string(first) + "-"
         + std::to_string(first + shown - 1) + " of " + std::to_string(total)
         + " (page " + std::to_string(page) + " of " + pages + ")";
}

} // namespace tmxctl

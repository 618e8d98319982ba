// The live commands of tmxctl: each asks the server's HTTP API and prints
// either a table or, with --json, the API's objects as they came.
#include "tools/tmxctl/commands.hpp"
#include "tools/tmxctl/views.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <iostream>
#include <iterator>

namespace tmxctl {

namespace {

/// Batch delete takes at most this many ids per request (CONTRACT.md).
constexpr size_t delete_batch = 1000;

int failed(live_context& c, const api_result& r, const std::string& what) {
  c.term.error(what + ": " + r.error());
  return exit_failure;
}

/// `{"name": <json>, ...}` of JSON texts.
std::string
json_object(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out = "{";
  for (auto& [name, json] : members)
    out += (out.size() > 1 ? ",\"" : "\"") + name + "\":" + json;
  return out + "}";
}

/// "?a=1&b=x" of the parameters that are set.
std::string
query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (auto& [name, value] : params)
    if (!value.empty())
      out += (out.empty() ? "?" : "&") + name + "=" + url_encode(value);
  return out;
}

std::string task_path(uint64_t id, const std::string& action = {}) {
  return "/task/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
}

/// GET `path`; on success prints its data as JSON (--json) or with `show`.
template <class Show>
int show_data(live_context& c, const std::string& path, const char* what,
              Show&& show) {
  auto r = c.api.get(path);
  if (!r.ok())
    return failed(c, r, what);
  if (c.json)
    std::cout << json_text(r.data()) << '\n';
  else
    show(r.data());
  return exit_ok;
}

/// GET one page of a list (`what`: "tasks", "accounts", also the member
/// holding the items) filtered by `params`; shows it with `print` and a
/// line saying which page of how many it is.
int show_page(live_context& c, const std::string& what, const std::string& path,
              std::vector<std::pair<std::string, std::string>> params,
              uint32_t page, uint32_t limit,
              void (*print)(std::ostream&, const terminal&,
                            const rapidjson::Value&)) {
  params.emplace_back("page", std::to_string(page));
  params.emplace_back("page_size", std::to_string(limit));
  return show_data(
    c, path + query(params), what.c_str(), [&](const rapidjson::Value& data) {
      const auto& list = field(data, what.c_str());
      if (!items(list).empty())
        print(std::cout, c.term, list);
      std::cout << c.term.paint(page_line(what, data), colour::dim) << '\n';
    });
}

/// The whole text of a file, "-" being stdin; false when unreadable.
bool read_file(const std::string& path, std::string& out) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file)
      return false;
  }
  std::istream& in = path == "-" ? std::cin : file;
  out.assign(std::istreambuf_iterator<char>(in), {});
  return !in.bad();
}

} // namespace

int run_status(live_context& c) {
  std::vector<std::pair<std::string, std::string>> parts{
    {"license", "/license/check"},
    {"stats", "/task/stats"},
    {"nodes", "/node"},
    {"devices", "/device"}};
  std::vector<api_result> replies;
  for (auto& [name, path] : parts) {
    replies.push_back(c.api.get(path));
    if (!replies.back().ok())
      return failed(c, replies.back(), name);
  }
  const auto& licence = replies[0].data();
  const auto& nodes = field(replies[2].data(), "nodes");
  const auto& devices = field(replies[3].data(), "devices");
  if (c.json) {
    std::cout << json_object({{"license", json_text(licence)},
                              {"stats", json_text(replies[1].data())},
                              {"nodes", json_text(nodes)},
                              {"devices", json_text(devices)}})
              << '\n';
    return exit_ok;
  }
  auto limit = number(field(licence, "device_limit"));
  table t;
  t.add({"server", c.api.url()});
  t.add({"licence", text(field(licence, "plan_name")) + ": "
                      + text(field(licence, "message")) + ", device limit "
                      + (limit == 0 ? "none" : std::to_string(limit))});
  t.add({"tasks", stats_line(c.term, replies[1].data())});
  t.add({"nodes", states_line(c.term, nodes, {"online", "offline"})});
  t.add(
    {"devices", states_line(c.term, devices, {"busy", "online", "offline"})});
  t.print(std::cout, c.term);
  return exit_ok;
}

int run_tasks(live_context& c, const task_query& q) {
  return show_page(c, "tasks", "/task",
                   {{"status", q.status},
                    {"serial", q.serial},
                    {"script_name", q.script},
                    {"source", q.source}},
                   q.page, q.limit, print_tasks);
}

int run_task(live_context& c, uint64_t id) {
  auto what = "task " + std::to_string(id);
  auto task = c.api.get(task_path(id));
  if (!task.ok())
    return failed(c, task, what);
  auto log = c.api.get(task_path(id, "log"));
  if (!log.ok())
    return failed(c, log, what + " log");
  if (c.json)
    std::cout << json_object(
      {{"task", json_text(task.data())}, {"log", json_text(log.data())}})
              << '\n';
  else
    print_task(std::cout, c.term, task.data(), log.data());
  return exit_ok;
}

int run_devices(live_context& c) {
  return show_data(c, "/device", "devices", [&](const rapidjson::Value& d) {
    const auto& devices = field(d, "devices");
    print_devices(std::cout, c.term, devices);
    std::cout << c.term.paint(
      "devices " + states_line(c.term, devices, {"busy", "online", "offline"}),
      colour::dim)
              << '\n';
  });
}

int run_nodes(live_context& c) {
  return show_data(c, "/node", "nodes", [&](const rapidjson::Value& d) {
    print_nodes(std::cout, c.term, field(d, "nodes"));
  });
}

int run_accounts(live_context& c, const account_query& q) {
  return show_page(
    c, "accounts", "/account",
    {{"serial", q.serial}, {"platform", q.platform}, {"enabled", q.enabled}},
    q.page, q.limit, print_accounts);
}

int run_groups(live_context& c) {
  return show_data(c, "/group", "groups", [&](const rapidjson::Value& d) {
    const auto& groups = field(d, "groups");
    if (items(groups).empty())
      std::cout << c.term.paint("no groups", colour::dim) << '\n';
    else
      print_groups(std::cout, c.term, groups);
  });
}

int run_schedules(live_context& c) {
  return show_data(c, "/schedule", "schedules", [&](const rapidjson::Value& d) {
    const auto& schedules = field(d, "schedules");
    if (items(schedules).empty())
      std::cout << c.term.paint("no schedules", colour::dim) << '\n';
    else
      print_schedules(std::cout, c.term, schedules);
  });
}

int run_action(live_context& c, task_action action,
               const std::vector<uint64_t>& ids) {
  std::string verb = action == task_action::stop ? "stop" : "retry";
  rapidjson::Document done(rapidjson::kArrayType);
  int exit = exit_ok;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = c.api.post(task_path(ids[i], verb));
    if (r.ok())
      done.PushBack(rapidjson::Value(r.data(), done.GetAllocator()),
                    done.GetAllocator());
    else
      exit = failed(c, r, verb + " " + std::to_string(ids[i]));
    c.term.progress(verb, i + 1, ids.size());
  }
  c.term.end_progress();
  if (c.json)
    std::cout << json_text(done) << '\n';
  else if (!done.Empty())
    print_tasks(std::cout, c.term, done);
  return exit;
}

int run_delete(live_context& c, const std::vector<uint64_t>& ids) {
  uint64_t deleted = 0;
  rapidjson::Document not_found(rapidjson::kArrayType);
  int exit = exit_ok;
  for (size_t first = 0; first < ids.size() && exit == exit_ok;
       first += delete_batch) {
    auto last = std::min(ids.size(), first + delete_batch);
    std::string body = "{\"task_ids\":[";
    for (size_t i = first; i < last; ++i)
      body += (i > first ? "," : "") + std::to_string(ids[i]);
    auto r = c.api.del("/task/batch", body + "]}");
    if (!r.ok()) {
      exit = failed(c, r, "delete");
      break;
    }
    deleted += number(field(r.data(), "deleted_count"));
    for (auto* id : items(field(r.data(), "not_found")))
      not_found.PushBack(rapidjson::Value(*id, not_found.GetAllocator()),
                         not_found.GetAllocator());
    c.term.progress("delete", last, ids.size());
  }
  c.term.end_progress();
  if (c.json)
    std::cout << json_object({{"deleted_count", std::to_string(deleted)},
                              {"not_found", json_text(not_found)}})
              << '\n';
  else
    std::cout << "deleted " << deleted << (deleted == 1 ? " task" : " tasks")
              << '\n';
  if (!not_found.Empty()) {
    std::string list;
    for (auto* id : items(not_found))
      list += (list.empty() ? "" : ", ") + text(*id);
    c.term.error("not found: " + list);
    exit = exit_failure;
  }
  return exit;
}

int run_retry_all(live_context& c) {
  auto r = c.api.post("/task/retry-all");
  if (!r.ok())
    return failed(c, r, "retry-all");
  if (c.json)
    std::cout << json_text(r.data()) << '\n';
  else
    std::cout << "retried " << number(field(r.data(), "retried_count"))
              << " failed tasks\n";
  return exit_ok;
}

int run_create(live_context& c, const create_options& o) {
  rapidjson::Document config(rapidjson::kObjectType);
  if (!o.config_file.empty()) {
    std::string json;
    if (!read_file(o.config_file, json)) {
      c.term.error("cannot read --config " + o.config_file);
      return exit_usage;
    }
    if (config.Parse(json.data(), json.size()).HasParseError()
        || !config.IsObject()) {
      c.term.error("--config " + o.config_file
                   + " does not hold a JSON object");
      return exit_usage;
    }
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  // The command line gives exactly one of them.
  for (auto [key, names] :
       {std::pair{"serials", &o.serials}, std::pair{"usernames", &o.usernames},
        std::pair{"groups", &o.groups}}) {
    if (names->empty())
      continue;
    w.Key(key);
    w.StartArray();
    for (auto& name : *names)
      w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.EndArray();
  }
  w.Key("script_name");
  w.String(o.script.data(), static_cast<rapidjson::SizeType>(o.script.size()));
  w.Key("script_config");
  config.Accept(w);
  if (!o.start_time.empty()) {
    w.Key("start_time");
    w.String(o.start_time.data(),
             static_cast<rapidjson::SizeType>(o.start_time.size()));
  }
  for (auto [name, value] : {std::pair{"min_interval", o.min_interval},
                             std::pair{"max_interval", o.max_interval}})
    if (value) {
      w.Key(name);
      w.Int64(*value);
    }
  if (o.multi_account) {
    w.Key("enable_multi_account");
    w.Bool(true);
  }
  w.EndObject();
  // Tasks made by an operator's tool are "ui" tasks, not API clients'.
  auto r = c.api.post("/task", {buf.GetString(), buf.GetSize()},
                      {{"X-Tmx-Source", "ui"}});
  if (!r.ok())
    return failed(c, r, "create");
  if (c.json) {
    std::cout << json_text(r.data()) << '\n';
    return exit_ok;
  }
  std::string list;
  for (auto* id : items(field(r.data(), "task_ids")))
    list += (list.empty() ? "" : ", ") + text(*id);
  auto n = number(field(r.data(), "created_count"));
  std::cout << "created " << n << (n == 1 ? " task: " : " tasks: ") << list
            << '\n';
  return exit_ok;
}

} // namespace tmxctl

// tmxctl: the admin inspection tool of tmx. Live commands ask a server's
// HTTP API; `db` commands read a data directory offline. This file is the
// command line (CLI11); the commands themselves live in tools/tmxctl/.
#include "tools/tmxctl/commands.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <functional>
#include <map>
#include <set>

namespace {

using namespace tmxctl;

/// A range such as 1-2000000000 is a typo, not a request.
constexpr uint64_t max_range = 1000000;

struct global_options {
  std::string url = "http://127.0.0.1:50809";
  std::string token; // sent as a bearer token when set
  double timeout_s = 30;
  bool json = false;
  bool no_colour = false;
};

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

/// Appends the ids of "7", "7-12" (both included) or "7,9,12"; false on
/// anything else.
bool parse_ids(const std::string& arg, std::vector<uint64_t>& out) {
  if (arg.empty() || arg.back() == ',')
    return false;
  size_t pos = 0;
  while (pos <= arg.size()) {
    auto end = std::min(arg.find(',', pos), arg.size());
    std::string_view part(arg.data() + pos, end - pos);
    auto dash = part.find('-');
    uint64_t lo = 0, hi = 0;
    if (!parse_u64(part.substr(0, dash), lo))
      return false;
    hi = lo;
    if (dash != std::string_view::npos && !parse_u64(part.substr(dash + 1), hi))
      return false;
    if (lo == 0 || hi < lo || hi - lo >= max_range)
      return false;
    for (auto id = lo; id <= hi; ++id)
      out.push_back(id);
    pos = end + 1;
  }
  return true;
}

/// The ids of every argument, each once, in the order given.
std::vector<uint64_t> ids_of(const std::vector<std::string>& args) {
  std::vector<uint64_t> all, out;
  for (auto& a : args)
    parse_ids(a, all); // the validator has accepted each one
  std::set<uint64_t> seen;
  for (auto id : all)
    if (seen.insert(id).second)
      out.push_back(id);
  return out;
}

const CLI::Validator task_ids(
  [](std::string& arg) {
    std::vector<uint64_t> ignored;
    return parse_ids(arg, ignored)
             ? std::string()
             : "'" + arg
                 + "' is not a task id, a range (7-12) or a list "
                   "(7,9)";
  },
  "ID");

/// Statuses by name or number, both meaning the number.
const std::map<std::string, std::string> status_names{
  {"pending", "0"}, {"running", "1"}, {"completed", "2"}, {"failed", "3"}};

CLI::Option* add_status(CLI::App* cmd, std::string& into) {
  return cmd
    ->add_option("--status", into, "pending|running|completed|failed (or 0-3)")
    ->transform(CLI::CheckedTransformer(status_names, CLI::ignore_case));
}

void add_paging(CLI::App* cmd, uint32_t& page, uint32_t& limit) {
  cmd->add_option("--page", page, "page, from 1")
    ->check(CLI::Range(1, INT32_MAX))
    ->capture_default_str();
  cmd->add_option("--limit", limit, "rows per page, 1-100")
    ->check(CLI::Range(1, 100))
    ->capture_default_str();
}

/// Where the command line lands: the options of every subcommand (only the
/// chosen one's are used) and what the chosen one runs.
struct parsed {
  global_options global;
  task_query tasks;
  uint64_t task_id = 0;
  account_query accounts;
  std::vector<std::string> id_args;
  create_options create;
  int64_t min_interval = -1; // -1: not given
  int64_t max_interval = -1;
  watch_options watch;
  bool once = false;
  events_options events;
  int64_t since = -1; // -1: not given
  std::string data_dir = "./data";
  std::string dump_status;
  std::function<int(live_context&)> live;
  std::function<int(db_context&)> offline;
};

void add_globals(CLI::App& app, global_options& g) {
  app.add_option("--url", g.url, "server URL")
    ->envname("TMX_URL")
    ->capture_default_str();
  app.add_option("--token", g.token, "API token of a server with http.token")
    ->envname("TMX_TOKEN");
  app.add_option("--timeout", g.timeout_s, "seconds per request")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_flag("--json", g.json, "print the API's JSON objects, not tables");
  app.add_flag("--no-color", g.no_colour, "no colour, even on a terminal");
}

void add_live_commands(CLI::App& app, parsed& p) {
  app.add_subcommand("status", "licence, task stats, nodes and devices")
    ->callback([&p] { p.live = run_status; });

  auto* tasks = app.add_subcommand("tasks", "list tasks, newest first");
  add_status(tasks, p.tasks.status);
  tasks->add_option("--serial", p.tasks.serial, "device serial");
  tasks->add_option("--script", p.tasks.script, "script name");
  tasks->add_option("--source", p.tasks.source, "api|ui|schedule")
    ->check(CLI::IsMember({"api", "ui", "schedule"}));
  add_paging(tasks, p.tasks.page, p.tasks.limit);
  tasks->callback(
    [&p] { p.live = [&p](live_context& c) { return run_tasks(c, p.tasks); }; });

  app.add_subcommand("task", "one task in detail, with its log")
    ->callback([&p] {
      p.live = [&p](live_context& c) { return run_task(c, p.task_id); };
    })
    ->add_option("id", p.task_id, "task id")
    ->required()
    ->check(CLI::PositiveNumber);

  app.add_subcommand("devices", "devices, their state and queue")
    ->callback([&p] { p.live = run_devices; });
  app.add_subcommand("nodes", "device hosts of the cluster")->callback([&p] {
    p.live = run_nodes;
  });

  auto* accounts = app.add_subcommand("accounts", "app accounts on devices");
  accounts->add_option("--serial", p.accounts.serial, "device serial");
  accounts->add_option("--platform", p.accounts.platform, "tiktok|instagram")
    ->check(CLI::IsMember({"tiktok", "instagram"}));
  accounts->add_option("--enabled", p.accounts.enabled, "true|false")
    ->check(CLI::IsMember({"true", "false"}));
  add_paging(accounts, p.accounts.page, p.accounts.limit);
  accounts->callback([&p] {
    p.live = [&p](live_context& c) { return run_accounts(c, p.accounts); };
  });

  app.add_subcommand("groups", "device groups and their serials")
    ->callback([&p] { p.live = run_groups; });
  app
    .add_subcommand("schedules", "recurring schedules: when they run next "
                                 "and when they last did")
    ->callback([&p] { p.live = run_schedules; });

  using id_command = int (*)(live_context&, const std::vector<uint64_t>&);
  auto with_ids = [&](const char* name, const char* help, id_command f) {
    app.add_subcommand(name, help)
      ->callback([&p, f] {
        p.live = [&p, f](live_context& c) { return f(c, ids_of(p.id_args)); };
      })
      ->add_option("ids", p.id_args, "task ids: 7, 7-12 or 7,9,12")
      ->required()
      ->check(task_ids);
  };
  with_ids("stop", "stop pending or running tasks",
           [](live_context& c, const std::vector<uint64_t>& ids) {
             return run_action(c, task_action::stop, ids);
           });
  with_ids("retry", "retry failed tasks",
           [](live_context& c, const std::vector<uint64_t>& ids) {
             return run_action(c, task_action::retry, ids);
           });
  with_ids("delete", "delete tasks (running ones are stopped first)",
           run_delete);

  app.add_subcommand("retry-all", "retry every failed task")->callback([&p] {
    p.live = run_retry_all;
  });
}

void add_create(CLI::App& app, parsed& p) {
  auto& co = p.create;
  auto* create = app.add_subcommand(
    "create", "create tasks (source \"ui\"), one per serial (given, or of "
              "the groups) or username");
  auto* targets = create->add_option_group("targets", "exactly one of");
  targets->add_option("--serials", co.serials, "a,b: device serials")
    ->delimiter(',');
  targets->add_option("--usernames", co.usernames, "x,y: account usernames")
    ->delimiter(',');
  targets
    ->add_option("--groups", co.groups,
                 "g,h: device groups (their serials, each once)")
    ->delimiter(',');
  targets->require_option(1);
  create->add_option("--script", co.script, "script name, e.g. post")
    ->required();
  create->add_option("--config", co.config_file,
                     "JSON file with the script_config object (- = stdin)");
  create->add_option("--start-time", co.start_time,
                     "HH:MM (server's zone) or ISO-8601 with offset");
  create->add_option("--min-interval", p.min_interval, "minutes, at least")
    ->check(CLI::NonNegativeNumber);
  create->add_option("--max-interval", p.max_interval, "minutes, at most")
    ->check(CLI::NonNegativeNumber);
  create->add_flag("--multi-account", co.multi_account,
                   "one task per enabled account of each serial");
  create->callback([&p] {
    if (p.min_interval >= 0)
      p.create.min_interval = p.min_interval;
    if (p.max_interval >= 0)
      p.create.max_interval = p.max_interval;
    p.live = [&p](live_context& c) { return run_create(c, p.create); };
  });
}

void add_watch(CLI::App& app, parsed& p) {
  auto* watch = app.add_subcommand(
    "watch", "view of stats, running tasks and devices, redrawn on changes");
  watch
    ->add_option("--interval", p.watch.interval_s,
                 "seconds between refreshes from a server without events")
    ->check(CLI::Range(0.1, 3600.0))
    ->capture_default_str();
  watch->add_option("--iterations", p.watch.iterations,
                    "stop after this many refreshes (0: at Ctrl-C)");
  watch->add_flag("--once", p.once, "one refresh, then exit");
  watch->callback([&p] {
    if (p.once)
      p.watch.iterations = 1;
    p.live = [&p](live_context& c) { return run_watch(c, p.watch); };
  });
}

void add_events(CLI::App& app, parsed& p) {
  auto* events = app.add_subcommand(
    "events", "the server's events as they happen (--json: their data)");
  events
    ->add_option("--types", p.events.types,
                 "a,b: only these types, e.g. task.completed,task.failed")
    ->delimiter(',');
  events->add_option("--count", p.events.count,
                     "stop after this many events (0: at Ctrl-C)");
  events
    ->add_option("--since", p.since,
                 "first the events after this id that the server still holds")
    ->check(CLI::NonNegativeNumber);
  events->callback([&p] {
    if (p.since >= 0)
      p.events.since = static_cast<uint64_t>(p.since);
    p.live = [&p](live_context& c) { return run_events(c, p.events); };
  });
}

void add_db_commands(CLI::App& app, parsed& p) {
  auto* db = app.add_subcommand(
    "db", "offline: read a data directory (safe while the server runs)");
  db->require_subcommand(1);
  db->add_option("--data", p.data_dir, "the server's storage.path")
    ->envname("TMX_DATA")
    ->capture_default_str();
  db->add_subcommand("info", "schema, ids, counts and sizes")->callback([&p] {
    p.offline = run_db_info;
  });
  db->add_subcommand("check", "check indexes, counters and ids (exit 1 on "
                              "any inconsistency)")
    ->callback([&p] { p.offline = run_db_check; });
  auto* dump = db->add_subcommand("dump", "every task as a JSON line");
  add_status(dump, p.dump_status);
  dump->callback([&p] {
    p.offline = [&p](db_context& c) {
      return run_db_dump(c, p.dump_status.empty()
                              ? std::nullopt
                              : std::optional<int>(std::stoi(p.dump_status)));
    };
  });
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"tmxctl: inspect and operate a tmx server (live, through its "
               "HTTP API) or its data directory (offline, `db`)",
               "tmxctl"};
  // Global options may follow the subcommand: `tmxctl tasks --json`.
  app.fallthrough();
  app.require_subcommand(1);
  parsed p;
  add_globals(app, p.global);
  add_live_commands(app, p);
  add_create(app, p);
  add_watch(app, p);
  add_events(app, p);
  add_db_commands(app, p);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  auto term = terminal::detect(p.global.no_colour);
  if (p.offline) {
    db_context c{p.data_dir, term, p.global.json};
    return p.offline(c);
  }
  api_client api(p.global.url, p.global.timeout_s, p.global.token);
  if (std::string why; !api.valid(why)) {
    term.error(why);
    return exit_usage;
  }
  live_context c{api, term, p.global.json};
  return p.live(c);
}

// tmxctl's commands: what each takes from the command line, and the
// functions that run them. Each returns the process's exit code.
#pragma once

#include "tools/tmxctl/api.hpp"
#include "tools/tmxctl/output.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tmxctl {

/// What every live command works with.
struct live_context {
  api_client& api;
  terminal& term;
  bool json = false; // print the API's objects instead of tables
};

struct task_query {
  std::string status; // "" or "0"-"3"
  std::string serial;
  std::string script;
  std::string source;
  uint32_t page = 1;
  uint32_t limit = 20;
};

struct account_query {
  std::string serial;
  std::string platform;
  std::string enabled; // "", "true" or "false"
  uint32_t page = 1;
  uint32_t limit = 20;
};

struct create_options {
  std::vector<std::string> serials; // exactly one of these three is given
  std::vector<std::string> usernames;
  std::vector<std::string> groups;
  std::string script;
  std::string config_file; // "" = {}, "-" = stdin
  std::string start_time;
  std::optional<int64_t> min_interval;
  std::optional<int64_t> max_interval;
  bool multi_account = false;
};

struct watch_options {
  double interval_s = 2;
  uint32_t iterations = 0; // 0: until Ctrl-C
};

struct events_options {
  std::vector<std::string> types; // empty: every type
  uint64_t count = 0;             // 0: until Ctrl-C
  std::optional<uint64_t> since;  // resume after this event id
};

enum class task_action { stop, retry };

int run_status(live_context& c);
int run_tasks(live_context& c, const task_query& q);
int run_task(live_context& c, uint64_t id);
int run_devices(live_context& c);
int run_nodes(live_context& c);
int run_accounts(live_context& c, const account_query& q);
int run_groups(live_context& c);
int run_schedules(live_context& c);
int run_action(live_context& c, task_action action,
               const std::vector<uint64_t>& ids);
int run_delete(live_context& c, const std::vector<uint64_t>& ids);
int run_retry_all(live_context& c);
int run_create(live_context& c, const create_options& o);
int run_watch(live_context& c, const watch_options& o);
int run_events(live_context& c, const events_options& o);

/// What every offline command works with.
struct db_context {
  std::string data_dir;
  terminal& term;
  bool json = false;
};

int run_db_info(db_context& c);
int run_db_check(db_context& c);
int run_db_dump(db_context& c, std::optional<int> status);

} // namespace tmxctl

// Fan-out and staggering of a create (see task_plan.hpp).
#include "model/task_plan.hpp"

#include <limits>

namespace tmx {

namespace {

using unit = std::pair<std::string, std::string>; // serial, username

api_error resolve_usernames(const create_request& req,
                            const account_registry& accounts,
                            std::vector<unit>& units) {
  for (auto& name : req.usernames) {
    auto a = accounts.find(name);
    if (!a)
      return invalid("usernames: unknown account '" + name + "'");
    if (!a->enabled)
      return invalid("usernames: account '" + name + "' is disabled");
    units.emplace_back(a->serial, name);
  }
  return {};
}

// Device mode, and group mode once the groups are serials (its errors
// then name the groups, which the request gave).
api_error resolve_serials(const create_request& req, const plan_context& ctx,
                          std::vector<unit>& units) {
  std::string field = req.groups.empty() ? "serials" : "groups";
  for (auto& serial : req.serials) {
    if (!ctx.known_device(serial))
      return invalid(field + ": unknown device '" + serial + "'");
    if (!req.multi_account) {
      units.emplace_back(serial, "");
      continue;
    }
    auto names = ctx.accounts->enabled_on(serial);
    if (names.empty())
      return invalid(field + ": device '" + serial
                     + "' has no enabled accounts");
    for (auto& name : names)
      units.emplace_back(serial, name);
  }
  return {};
}

} // namespace

task_plan plan_tasks(const create_request& req, const std::string& source,
                     const plan_context& ctx, std::mt19937_64& rng) {
  task_plan out;
  if (!req.groups.empty() && req.serials.empty()) {
    // The caller resolves the groups first (group_registry::serials_of):
    // planning them as they are would create nothing and say nothing.
    out.error = {ec::internal, "internal error: groups not resolved"};
    return out;
  }
  std::vector<unit> units;
  out.error = req.usernames.empty()
                ? resolve_serials(req, ctx, units)
                : resolve_usernames(req, *ctx.accounts, units);
  if (out.error)
    return out;
  auto count = units.size() * req.configs.size();
  if (count > max_tasks_per_create) {
    out.error = invalid("the request makes " + std::to_string(count)
                        + " tasks after fan-out; at most "
                        + std::to_string(max_tasks_per_create));
    return out;
  }
  auto due = req.start_at != 0 ? req.start_at : ctx.now;
  std::uniform_int_distribution<int> gap(req.min_interval, req.max_interval);
  auto id = ctx.first_id;
  auto seq = ctx.first_queue_seq;
  for (auto& [serial, username] : units) {
    for (auto& config : req.configs) {
      if (!out.tasks.empty() && req.max_interval > 0) {
        millis step = millis{gap(rng)} * 60 * 1000;
        // Huge intervals times many tasks can pass what a millis holds.
        if (due > std::numeric_limits<millis>::max() - step) {
          out.tasks.clear();
          out.error = invalid("min_interval/max_interval stagger the tasks "
                              "beyond the latest time the server can hold");
          return out;
        }
        due += step;
      }
      task t;
      t.id = id++;
      t.serial = serial;
      t.username = username;
      t.script_name = req.script_name;
      t.script_config = config;
      t.source = source;
      t.created_at = ctx.now;
      t.scheduled_at = due > ctx.now || req.start_at != 0 ? due : 0;
      t.queue_seq = seq++;
      out.tasks.push_back(std::move(t));
    }
  }
  return out;
}

} // namespace tmx

// The tasks of one create request: fan-out over devices, accounts and
// targets, account resolution and staggering, as one pure function.
#pragma once

#include "model/account_registry.hpp"
#include "model/create_request.hpp"
#include "model/error.hpp"

#include <functional>
#include <random>
#include <vector>

namespace tmx {

/// The tasks in the request's order, or the error that refuses them all.
struct task_plan {
  std::vector<task> tasks;
  api_error error;
};

/// What a plan needs to know of the server: which serials exist, the
/// accounts, the time and the next free id and queue position.
struct plan_context {
  std::function<bool(const std::string&)> known_device;
  const account_registry* accounts = nullptr;
  millis now = 0;
  task_id first_id = 1;
  uint64_t first_queue_seq = 1;
};

/// The most tasks one create may make, after fan-out: a request that big
/// already keeps the manager busy for a while.
constexpr size_t max_tasks_per_create = 100'000;

/// Ids and queue positions are taken in order from the context's firsts;
/// more than max_tasks_per_create tasks is an error naming the count. A
/// request in group mode must have its groups resolved into `serials`
/// first (group_registry::serials_of); it is then planned as device mode.
task_plan plan_tasks(const create_request& req, const std::string& source,
                     const plan_context& ctx, std::mt19937_64& rng);

} // namespace tmx

// Fuzz target: the body of POST /api/v1/task as endpoints::create reads it
// (parse_create_request: JSON shape, script_name, targets, schedule and the
// script_config rules of model/script_config.cpp, fan-out), its
// Idempotency-Key fingerprint, and the plan the task manager makes of a
// valid request (plan_tasks). Bad input must give an api_error, never a
// crash; a valid request must satisfy what the manager relies on.
#include "model/create_request.hpp"
#include "model/group.hpp"
#include "model/script_config.hpp"
#include "model/secrets.hpp"
#include "model/task_plan.hpp"
#include "tests/fuzz/check.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>

namespace {

using namespace tmx;
using tmx::fuzz::check;

// A fixed "now" (2026-01-01T00:00:00Z) keeps every input reproducible.
constexpr millis now = 1'767'225'600'000;

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

// Each stored config is a JSON object that passes its script's rules again
// unchanged: defaults are applied once, and a fanned-out config names its
// one target in target_users only.
void check_config(const create_request& req, const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  check(!doc.HasParseError() && doc.IsObject(), "config is a JSON object");
  // A script reads a name given twice otherwise than the rules did.
  std::set<std::string_view> names;
  for (const auto& m : doc.GetObject())
    check(names.insert({m.name.GetString(), m.name.GetStringLength()}).second,
          "a config gives each name once");
  if (auto rule = fan_out_of(req.script_name); !rule.list.empty()) {
    auto it = doc.FindMember(std::string(rule.list).c_str());
    check(it != doc.MemberEnd() && it->value.IsArray() && it->value.Size() == 1
            && it->value[0].IsString(),
          "a fanned-out config names one target");
    for (auto folded : rule.folded)
      check(folded.empty() || !doc.HasMember(std::string(folded).c_str()),
            "a fanned-out config has no target_user / target_post_url");
  }
  // A rendered task never shows a secret (model/secrets.hpp).
  auto masked = masked_config(text);
  check(masked.has_value() || secrets_of(text).empty(),
        "a config with a secret is masked");
  for (auto& left : secrets_of(masked.value_or("{}")))
    check(left == secret_mask, "a masked config holds no secret");
  // Compared as RapidJSON writes the config back, not with `text`: its
  // default parser may read a long number 1 ulp off what it wrote.
  std::string before = compact(doc);
  auto err = validate_script_config(req.script_name, doc, doc.GetAllocator());
  check(!err, "a stored config passes its rules again");
  check(compact(doc) == before, "validating a stored config changes nothing");
}

void check_request(const create_request& req) {
  check(!req.serials.empty() + !req.usernames.empty() + !req.groups.empty()
          == 1,
        "exactly one of serials, usernames and groups");
  check(!req.multi_account || req.usernames.empty(),
        "multi-account only with serials or groups");
  check(!req.configs.empty(), "at least one config");
  check(0 <= req.min_interval && req.min_interval <= req.max_interval,
        "0 <= min_interval <= max_interval");
  check(!check_script(req.script_name), "the script is one the API runs");
  for (const auto& config : req.configs)
    check_config(req, config);
}

// The manager's view of the server: every serial but "unknown-*" is a
// device; two accounts, one of them disabled; two groups that share a
// serial. Group mode is device mode over the groups' serials, as the
// manager resolves them before the plan.
void check_plan(create_request req) {
  account_registry accounts;
  accounts.put({"alice", "sim-0001", "tiktok", true});
  accounts.put({"bob", "sim-0001", "instagram", false});
  group_registry groups;
  groups.put({"g1", {"sim-0001", "sim-0002"}, now});
  groups.put({"g2", {"sim-0002", "sim-0003"}, now});
  if (!req.groups.empty()) {
    auto err = groups.serials_of(req.groups, req.serials);
    if (err) {
      check(!err.message.empty(), "an unknown group has a message");
      return;
    }
    std::set<std::string> once(req.serials.begin(), req.serials.end());
    check(once.size() == req.serials.size(), "a group serial comes once");
  }
  plan_context ctx{[](const std::string& serial) {
                     return serial.rfind("unknown-", 0) != 0;
                   },
                   &accounts, now, 1, 1};
  std::mt19937_64 rng(42);
  auto plan = plan_tasks(req, "api", ctx, rng);
  if (plan.error) {
    check(plan.tasks.empty() && !plan.error.message.empty(),
          "a refused plan has a message and no tasks");
    return;
  }
  check(!plan.tasks.empty(), "a plan makes tasks");
  check(plan.tasks.size() <= max_tasks_per_create, "at most 100000 tasks");
  // 0 is "as soon as possible"; a start_time may lie in the past.
  std::optional<millis> last;
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    const task& t = plan.tasks[i];
    check(t.id == 1 + i && t.queue_seq == 1 + i, "ids and queue in order");
    if (t.scheduled_at == 0)
      continue;
    check(!last || t.scheduled_at >= *last, "tasks are staggered forward");
    last = t.scheduled_at;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  create_request req;
  auto err = parse_create_request(body, now, req);
  check(body_fingerprint(body).size() == 16, "a fingerprint is 16 digits");
  if (err) {
    check(!err.message.empty(), "an error has a message");
    return 0;
  }
  check_request(req);
  check_plan(req);
  return 0;
}

// The offline commands of tmxctl: a data directory opened read-only (a
// RocksDB secondary instance, safe beside a running server) through the
// server's own store, which does the reading and the checking.
#include "tools/tmxctl/commands.hpp"
#include "tools/tmxctl/views.hpp"

#include "model/task_json.hpp"
#include "model/time.hpp"
#include "storage/store.hpp"

#include <initializer_list>
#include <iostream>
#include <map>
#include <utility>

namespace tmxctl {

namespace {

std::unique_ptr<tmx::store> open_store(db_context& c) {
  std::string error;
  auto s = tmx::store::open({c.data_dir, false, true}, error);
  if (!s)
    c.term.error(error);
  return s;
}

int store_failed(db_context& c, const std::string& what, tmx::store_errc e) {
  c.term.error(what + ": " + tmx::to_string(e));
  return exit_failure;
}

using numbers = std::initializer_list<std::pair<const char*, uint64_t>>;

/// "key": value members of the object being written.
void members(tmx::json_writer& w, numbers list) {
  for (auto& [key, value] : list) {
    w.Key(key);
    w.Uint64(value);
  }
}

/// The info as a JSON object: the tasks as the API's stats object, the
/// other counters by field ("serials", "scripts", "sources").
std::string info_json(const tmx::store_info& info) {
  rapidjson::StringBuffer buf;
  tmx::json_writer w(buf);
  w.StartObject();
  w.Key("path");
  tmx::json_string(w, info.path);
  members(w, {{"schema_version", info.schema_version},
              {"next_id", info.next_id},
              {"next_queue_seq", info.next_queue_seq}});
  w.Key("tasks");
  w.StartObject();
  const auto& by_status = info.counts.by_status;
  members(w, {{"total", info.counts.total},
              {"pending", by_status[int(tmx::task_status::pending)]},
              {"running", by_status[int(tmx::task_status::running)]},
              {"completed", by_status[int(tmx::task_status::completed)]},
              {"failed", by_status[int(tmx::task_status::failed)]}});
  w.EndObject();
  std::map<std::string, std::vector<const tmx::value_count*>> by_field;
  for (const char* f : {"serial", "script", "source"})
    by_field[f];
  for (auto& v : info.values)
    by_field[v.field].push_back(&v);
  for (auto& [f, values] : by_field) {
    w.Key((f + "s").c_str());
    w.StartObject();
    for (auto* v : values) {
      tmx::json_string(w, v->value);
      w.Uint64(v->tasks);
    }
    w.EndObject();
  }
  members(w, {{"devices", info.devices},
              {"accounts", info.accounts},
              {"groups", info.groups},
              {"schedules", info.schedules},
              {"expired", info.expired},
              {"directory_bytes", info.directory_bytes}});
  w.Key("column_families");
  w.StartArray();
  for (auto& f : info.families) {
    w.StartObject();
    w.Key("name");
    tmx::json_string(w, f.name);
    members(w, {{"estimated_keys", f.estimated_keys},
                {"live_data_bytes", f.live_data_bytes},
                {"sst_bytes", f.sst_bytes},
                {"memtable_bytes", f.memtable_bytes}});
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/// "post 30, follow 11" of an object of counts.
std::string counts_line(const rapidjson::Value& counts) {
  std::string out;
  if (counts.IsObject())
    for (auto& m : counts.GetObject())
      out += (out.empty() ? "" : ", ") + text(m.name) + " " + text(m.value);
  return out.empty() ? "-" : out;
}

void print_info(db_context& c, const rapidjson::Value& info) {
  auto at = [&](const char* name) { return text(field(info, name)); };
  table t;
  t.add({"data", at("path")});
  t.add({"schema version", at("schema_version")});
  t.add({"next id", at("next_id")});
  t.add({"next queue seq", at("next_queue_seq")});
  t.add({"tasks", stats_line(c.term, field(info, "tasks"))});
  t.add({"scripts", counts_line(field(info, "scripts"))});
  t.add({"sources", counts_line(field(info, "sources"))});
  t.add({"serials",
         std::to_string(field(info, "serials").MemberCount()) + " with tasks"});
  t.add({"devices", at("devices") + " known"});
  t.add({"accounts", at("accounts")});
  t.add({"groups", at("groups")});
  t.add({"schedules", at("schedules")});
  t.add({"retention", at("expired") + " finished tasks deleted"});
  t.add(
    {"size", human_bytes(number(field(info, "directory_bytes"))) + " on disk"});
  t.print(std::cout, c.term);
  std::cout << '\n';
  table families({"FAMILY", ">KEYS", ">LIVE DATA", ">SST FILES", ">MEMTABLES"});
  for (auto* f : items(field(info, "column_families")))
    families.add({text(field(*f, "name")), text(field(*f, "estimated_keys")),
                  human_bytes(number(field(*f, "live_data_bytes"))),
                  human_bytes(number(field(*f, "sst_bytes"))),
                  human_bytes(number(field(*f, "memtable_bytes")))});
  families.print(std::cout, c.term);
  std::cout << c.term.paint("keys and sizes are RocksDB's estimates",
                            colour::dim)
            << '\n';
}

} // namespace

int run_db_info(db_context& c) {
  auto s = open_store(c);
  if (!s)
    return exit_failure;
  tmx::store_info info;
  if (auto e = s->info(info); e != tmx::store_errc::ok)
    return store_failed(c, "db info", e);
  auto json = info_json(info);
  if (c.json) {
    std::cout << json << '\n';
  } else {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    print_info(c, doc);
  }
  return exit_ok;
}

int run_db_check(db_context& c) {
  auto s = open_store(c);
  if (!s)
    return exit_failure;
  rapidjson::Document problems(rapidjson::kArrayType);
  auto& alloc = problems.GetAllocator();
  auto e = s->check(
    [&](const std::string& problem) {
      problems.PushBack(rapidjson::Value(problem.c_str(), alloc), alloc);
      if (!c.json) {
        c.term.end_progress();
        std::cout << problem << std::endl;
      }
    },
    [&](uint64_t done, uint64_t total) {
      c.term.progress("checking", done, total);
    });
  c.term.end_progress();
  if (e != tmx::store_errc::ok)
    return store_failed(c, "db check stopped", e);
  auto tasks = s->counts().total;
  auto n = problems.Size();
  if (c.json) {
    std::cout << "{\"consistent\":" << (n == 0 ? "true" : "false")
              << ",\"tasks\":" << tasks
              << ",\"problems\":" << json_text(problems) << "}\n";
  } else if (n == 0) {
    std::cout << c.term.paint("consistent", colour::green) << ": " << tasks
              << " tasks, every index entry, counter and id checked\n";
  } else {
    std::cout << c.term.paint(
      std::to_string(n) + (n == 1 ? " inconsistency" : " inconsistencies"),
      colour::red)
              << " in " << c.data_dir << '\n';
  }
  return n == 0 ? exit_ok : exit_failure;
}

int run_db_dump(db_context& c, std::optional<int> status) {
  auto s = open_store(c);
  if (!s)
    return exit_failure;
  auto now = tmx::now_millis();
  tmx::task_id last = 0;
  auto print = [&](const tmx::task& t) {
    std::cout << tmx::task_json(t, now) << '\n';
    last = t.id;
    return bool(std::cout);
  };
  auto e = status ? s->for_each_with_status(tmx::task_status(*status), print)
                  : s->for_each_task(print);
  if (e != tmx::store_errc::ok)
    return store_failed(c, "db dump stopped after task " + std::to_string(last),
                        e);
  return std::cout ? exit_ok : exit_failure;
}

} // namespace tmxctl

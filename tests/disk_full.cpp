// A full disk for real: a tmx-server whose data directory is on a small
// tmpfs, filled under load. Writes answer 50001 and change nothing, reads
// keep working, /readyz says why; once space is back, writes resume
// without a restart and `tmxctl db check` is clean. Mounting needs root:
// elsewhere the suite says it is skipped (ctest shows it as such).
#define BOOST_TEST_MODULE disk_full
#include <boost/test/unit_test.hpp>

#include "tests/server_process.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace tmx::test;

namespace {

// RocksDB resumes writes by itself once the space of one memtable (16 MiB
// in storage/engine.cpp) is free again, and then needs room to flush the
// memtables and preallocate a new WAL (about 18 MiB): the space that comes
// back when the filler goes must be well above that.
constexpr const char* tmpfs_size = "size=160m";
constexpr uint64_t left_free = 2u << 20; // what the filler leaves

/// A tmpfs mounted for the test, unmounted at the end.
struct small_disk {
  std::filesystem::path dir = make_temp_dir();
  bool mounted = false;
  std::string why_not;

  small_disk() {
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, tmpfs_size) == 0)
      mounted = true;
    else
      why_not = std::strerror(errno);
  }

  ~small_disk() {
    if (mounted)
      ::umount2(dir.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  uint64_t free_bytes() const {
    struct statvfs s {};
    ::statvfs(dir.c_str(), &s);
    return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  }

  std::filesystem::path filler() const { return dir / "filler"; }

  /// Writes a file that leaves `keep` bytes free.
  void fill_leaving(uint64_t keep) {
    std::ofstream out(filler(), std::ios::binary);
    std::string block(1 << 16, 'f');
    while (free_bytes() > keep + block.size())
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
};

std::string create_body(int n) {
  // 400 KB of captions for each of two tasks: RocksDB's WAL, preallocated
  // before the filler was written, and the free space left take a few
  // dozen creates, so that the runs left after the recovery are few.
  return R"({"serials":["sim-0001","sim-0002"],"script_name":"post",)"
         R"("script_config":{"captions":")"
         + std::string(400000, static_cast<char>('a' + n % 26)) + R"("}})";
}

std::string task_path(uint64_t id) {
  return "/api/v1/task/" + std::to_string(id);
}

std::string stats_text(const server_process& srv) {
  return srv.get("/api/v1/task/stats").text;
}

/// The creates that got code 0, and how many got 50001.
struct load_result {
  std::mutex m;
  std::vector<uint64_t> acknowledged;
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
};

/// Three clients create until each has seen `refusals` 50001 answers.
void create_until_refused(const server_process& srv, load_result& out,
                          int refusals) {
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c)
    clients.emplace_back([&, c] {
      int mine = 0;
      for (int n = 0; mine < refusals && n < 2000; ++n) {
        auto r = srv.post("/api/v1/task", create_body(c * 1000 + n));
        if (r.code() == 0) {
          std::lock_guard<std::mutex> lock(out.m);
          for (const auto& id : r.data()["task_ids"].GetArray())
            out.acknowledged.push_back(id.GetUint64());
        } else if (r.code() == 50001) {
          ++mine;
          ++out.refused;
        } else {
          ++out.other;
        }
      }
    });
  for (auto& t : clients)
    t.join();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_writes_and_recovers_without_restart) {
  small_disk disk;
  if (!disk.mounted) {
    BOOST_TEST_MESSAGE("disk_full skipped: cannot mount a tmpfs ("
                       << disk.why_not << "); this suite needs root");
    std::printf("disk_full skipped: cannot mount a tmpfs (%s)\n",
                disk.why_not.c_str());
    return;
  }
  auto data = (disk.dir / "data").string();
  // Short runs, so that starts and results are written during the load.
  server_process srv({{"sim.devices", "2"},
                      {"sim.task-duration", "20ms"},
                      {"cluster.port", "0"},
                      {"storage.path", data}});
  srv.require_start();
  BOOST_TEST(srv.get("/readyz").text == "ready");
  disk.fill_leaving(left_free);

  load_result load;
  create_until_refused(srv, load, 5);
  BOOST_TEST_MESSAGE(load.acknowledged.size()
                     << " tasks acknowledged, " << load.refused.load()
                     << " creates refused before the disk was full");
  BOOST_REQUIRE(!load.acknowledged.empty());
  BOOST_TEST(load.refused.load() >= 15);
  BOOST_TEST(load.other.load() == 0);

  // Refused writes: why, without internals; and nothing changes.
  auto ready = srv.get("/readyz");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(ready.text == "store is not writable: no space left on device");
  auto refused = srv.post("/api/v1/task", create_body(0));
  BOOST_TEST(refused.code() == 50001);
  BOOST_TEST(refused.message().find("rocksdb") == std::string::npos);
  BOOST_TEST(refused.message().find(data) == std::string::npos);
  auto before = stats_text(srv);
  uint64_t victim = load.acknowledged.front();
  BOOST_TEST(srv.del(task_path(victim)).code() == 50001);
  BOOST_TEST(srv.post("/api/v1/task", create_body(1)).code() == 50001);
  // Reads keep working, and show what was there.
  BOOST_TEST(srv.get(task_path(victim)).code() == 0);
  BOOST_TEST(srv.get("/api/v1/task?page_size=5").code() == 0);
  BOOST_TEST(stats_text(srv) == before);

  // Space is back: writes resume by themselves.
  std::filesystem::remove(disk.filler());
  BOOST_TEST(
    wait_until([&] { return srv.get("/readyz").text == "ready"; }, 30s));
  auto again = srv.post("/api/v1/task", create_body(2));
  BOOST_TEST(again.code() == 0);
  if (again.code() == 0)
    for (const auto& id : again.data()["task_ids"].GetArray())
      load.acknowledged.push_back(id.GetUint64());
  BOOST_TEST(srv.del(task_path(victim)).code() == 0);
  // The runs that waited for the store go on to the end.
  BOOST_TEST(wait_until(
               [&] {
                 auto s = srv.get("/api/v1/task/stats");
                 return s.code() == 0 && s.data()["pending"].GetInt() == 0
                        && s.data()["running"].GetInt() == 0;
               },
               90s),
             stats_text(srv));

  // Every acknowledged task is there (but the one deleted), once.
  std::set<uint64_t> unique(load.acknowledged.begin(), load.acknowledged.end());
  BOOST_TEST(unique.size() == load.acknowledged.size());
  for (auto id : unique)
    BOOST_TEST(srv.get(task_path(id)).code() == (id == victim ? 40401 : 0),
               "task " << id);
  auto total = srv.get("/api/v1/task/stats").data()["total"].GetUint64();
  BOOST_TEST(total == unique.size() - 1);

  BOOST_TEST(srv.terminate() == 0);
  auto out = (srv.dir() / "check.out").string();
  auto cmd = std::string(TMXCTL_BINARY) + " db --data " + data + " check > "
             + out;
  BOOST_TEST(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  BOOST_TEST(line.rfind("consistent:", 0) == 0, line);
}

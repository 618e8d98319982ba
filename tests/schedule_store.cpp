// Tests of the schedules in the store on a real RocksDB: the record's
// codec, ids that are never reused, and the firing written in the batch of
// its tasks (all or nothing).
#define BOOST_TEST_MODULE schedule_store
#include <boost/test/unit_test.hpp>

#include "storage/codec.hpp"
#include "storage/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace tmx;

namespace tmx {

std::ostream& operator<<(std::ostream& out, store_errc e) {
  return out << to_string(e);
}

} // namespace tmx

namespace {

struct fixture {
  std::string path = make_dir();
  std::unique_ptr<store> db = open();

  ~fixture() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }

  static std::string make_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "tmx-sched-XXXXXX")
                  .string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
  }

  std::unique_ptr<store> open(bool read_only = false) {
    std::string error;
    auto s = store::open({path, false, read_only}, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return s;
  }

  void reopen() {
    db.reset(); // one writer at a time
    db = open();
  }

  std::vector<schedule> all() {
    std::vector<schedule> out;
    BOOST_REQUIRE_EQUAL(db->schedules(out), store_errc::ok);
    return out;
  }
};

schedule sample(const std::string& name = "morning") {
  schedule s;
  s.name = name;
  s.weekdays = {1, 2, 7};
  s.times = {0, 9 * 60, 23 * 60 + 59};
  s.task = R"({"serials":["a"],"script_name":"post","script_config":{}})";
  s.created_at = 1'700'000'000'000;
  s.armed_at = s.created_at;
  return s;
}

task a_task(task_id id, uint64_t schedule_id) {
  task t;
  t.id = id;
  t.serial = "a";
  t.script_name = "post";
  t.script_config = "{}";
  t.source = "schedule";
  t.schedule_id = schedule_id;
  t.created_at = 5;
  t.queue_seq = id;
  return t;
}

} // namespace

BOOST_AUTO_TEST_CASE(schedule_codec_round_trip_and_refusals) {
  auto s = sample();
  s.enabled = false;
  s.last_slot = -7;
  s.last_run_at = INT64_MAX;
  s.last_task_ids = {1, 1ull << 40};
  s.next_run_at = 99; // not stored
  auto bytes = codec::encode(s);
  schedule back;
  BOOST_TEST(codec::decode(bytes, back));
  s.next_run_at = 0;
  BOOST_TEST((back == s));
  BOOST_TEST(codec::encode(back) == bytes);
  for (size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!codec::decode(std::string_view(bytes).substr(0, n), back));
  BOOST_TEST(!codec::decode(bytes + "x", back));
  for (int format : {0, codec::schedule_format + 1}) {
    auto other = bytes;
    other[0] = char(format);
    BOOST_TEST(!codec::decode(other, back));
  }
  auto bad_day = sample();
  bad_day.weekdays = {8};
  BOOST_TEST(!codec::decode(codec::encode(bad_day), back));
  auto bad_time = sample();
  bad_time.times = {24 * 60};
  BOOST_TEST(!codec::decode(codec::encode(bad_time), back));
}

BOOST_FIXTURE_TEST_CASE(ids_are_assigned_and_never_reused, fixture) {
  auto a = sample("a"), b = sample("b");
  BOOST_REQUIRE_EQUAL(db->put_schedule(a), store_errc::ok);
  BOOST_REQUIRE_EQUAL(db->put_schedule(b), store_errc::ok);
  BOOST_TEST(a.id == 1u);
  BOOST_TEST(b.id == 2u);
  a.name = "a2";
  BOOST_REQUIRE_EQUAL(db->put_schedule(a), store_errc::ok); // replaces
  BOOST_TEST(a.id == 1u);
  auto listed = all();
  BOOST_REQUIRE_EQUAL(listed.size(), 2u);
  BOOST_TEST(listed[0].name == "a2");
  BOOST_TEST((listed[1] == b));
  BOOST_TEST(db->erase_schedule(2) == store_errc::ok);
  BOOST_TEST(db->erase_schedule(2) == store_errc::not_found);
  reopen();
  auto c = sample("c");
  BOOST_REQUIRE_EQUAL(db->put_schedule(c), store_errc::ok);
  BOOST_TEST(c.id == 3u); // 2 was deleted, never given again
  BOOST_TEST(all().size() == 2u);
  std::vector<std::string> problems;
  db.reset();
  auto ro = open(true);
  BOOST_TEST(ro->check([&](const std::string& p) { problems.push_back(p); }, {})
             == store_errc::ok);
  BOOST_TEST(problems.empty());
}

BOOST_FIXTURE_TEST_CASE(a_firing_is_stored_with_its_tasks, fixture) {
  auto s = sample();
  BOOST_REQUIRE_EQUAL(db->put_schedule(s), store_errc::ok);
  auto fired = s;
  fired.last_slot = s.created_at + 1000;
  fired.last_run_at = s.created_at + 1005;
  fired.last_task_ids = {1, 2};
  BOOST_REQUIRE_EQUAL(db->insert({a_task(1, s.id), a_task(2, s.id)}, nullptr,
                                 &fired),
                      store_errc::ok);
  task t;
  BOOST_REQUIRE_EQUAL(db->get(2, t), store_errc::ok);
  BOOST_TEST(t.schedule_id == s.id);
  BOOST_TEST(t.source == "schedule");
  reopen();
  BOOST_TEST((all().at(0) == fired));
  // All or nothing: a refused insert (an id used before) leaves the
  // schedule's record as it was.
  auto again = fired;
  again.last_slot += 60'000;
  again.last_task_ids = {2};
  BOOST_TEST(db->insert({a_task(2, s.id)}, nullptr, &again)
             == store_errc::io_error);
  BOOST_TEST((all().at(0) == fired));
  // A firing of a schedule that is gone writes nothing, tasks included.
  auto ghost = fired;
  ghost.id = 77;
  BOOST_TEST(db->insert({a_task(3, 77)}, nullptr, &ghost)
             == store_errc::not_found);
  BOOST_TEST(db->get(3, t) == store_errc::not_found);
  BOOST_TEST(all().size() == 1u);
  BOOST_TEST(db->next_id() == 3u);
}

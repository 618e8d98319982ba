// Tests of group commit (storage.sync) on the test coordinator: the store
// actor replies to a write only after the fsync that made it durable, the
// writes of one mailbox sweep share one fsync, reads see a write before
// its fsync, and without storage.sync nothing waits; the inserts and updates
// of a sweep are one write (grouped writes), each refused alone. On a real
// store.
#define BOOST_TEST_MODULE group_commit
#include <boost/test/unit_test.hpp>

#include "tests/actor_fixture.hpp"

using namespace tmx;
using namespace tmx::test;

namespace {

reply_slot<ok_atom> post_create(actor_fixture& fx, task_id id) {
  return fx.post<ok_atom>(fx.store, create_atom::value,
                          std::vector<task>{pending_task(id, "sim-0001")},
                          idempotency_record{});
}

bool stored(actor_fixture& fx, task_id id) {
  task t;
  return fx.db->get(id, t) == store_errc::ok;
}

} // namespace

BOOST_AUTO_TEST_CASE(writes_of_one_sweep_share_one_fsync_and_wait_for_it) {
  actor_fixture fx(true);
  std::vector<reply_slot<ok_atom>> replies;
  for (task_id id = 1; id <= 3; ++id)
    replies.push_back(post_create(fx, id));
  // Until the three are written (and readable): no reply, no fsync.
  BOOST_REQUIRE(fx.run_until(
    [&] { return stored(fx, 1) && stored(fx, 2) && stored(fx, 3); }));
  BOOST_TEST(fx.db->unsynced());
  BOOST_TEST(fx.db->syncs() == 0u);
  for (auto& r : replies)
    BOOST_TEST(!r->has_value());
  fx.run();
  BOOST_TEST(fx.db->syncs() == 1u);
  BOOST_TEST(!fx.db->unsynced());
  for (auto& r : replies) {
    BOOST_REQUIRE(r->has_value());
    BOOST_TEST(static_cast<bool>(**r));
  }
}

BOOST_AUTO_TEST_CASE(a_write_after_the_sweep_waits_for_the_next_fsync) {
  actor_fixture fx(true);
  auto first = post_create(fx, 1);
  fx.run();
  BOOST_REQUIRE(first->has_value());
  BOOST_TEST(fx.db->syncs() == 1u);
  // Every kind of write waits the same way (here an account, then a task
  // update), and a read needs no fsync at all.
  account a;
  a.username = "sim-0001-a";
  a.serial = "sim-0001";
  auto put = fx.post<ok_atom>(fx.store, account_atom::value, a);
  auto t = pending_task(1, "sim-0001");
  t.status = task_status::running;
  auto update = fx.post<ok_atom>(fx.store, update_atom::value,
                                 std::vector<task>{t}, std::vector<task_log>{});
  auto read = fx.post<task>(fx.store, get_atom::value, task_id{1});
  fx.run();
  BOOST_TEST(fx.db->syncs() == 2u);
  BOOST_REQUIRE(put->has_value() && update->has_value() && read->has_value());
  BOOST_TEST(static_cast<bool>(**put));
  BOOST_TEST(static_cast<bool>(**update));
  BOOST_TEST((unbox(std::move(**read)).status == task_status::running));
  // Reads alone make no fsync.
  auto again = fx.post<task>(fx.store, get_atom::value, task_id{1});
  fx.run();
  BOOST_TEST(again->has_value());
  BOOST_TEST(fx.db->syncs() == 2u);
}

BOOST_AUTO_TEST_CASE(without_storage_sync_nothing_waits) {
  actor_fixture fx; // storage.sync off
  auto reply = post_create(fx, 1);
  BOOST_REQUIRE(fx.run_until([&] { return reply->has_value(); }));
  BOOST_TEST(static_cast<bool>(**reply));
  BOOST_TEST(!fx.db->unsynced());
  fx.run();
  BOOST_TEST(fx.db->syncs() == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_write_is_answered_at_once) {
  actor_fixture fx(true);
  auto ok = post_create(fx, 5);
  fx.run();
  BOOST_REQUIRE(ok->has_value());
  // An id below next_id is refused before anything is written: its error
  // needs no fsync, and it makes none.
  auto refused = post_create(fx, 3);
  fx.run();
  BOOST_REQUIRE(refused->has_value());
  BOOST_TEST(!static_cast<bool>(**refused));
  BOOST_TEST(fx.db->syncs() == 1u);
}

// -- grouped writes (storage.sync or not) -------------------------------------

BOOST_AUTO_TEST_CASE(the_creates_of_one_sweep_are_written_together) {
  actor_fixture fx;
  fx.run(); // the start-up's own writes
  std::vector<reply_slot<ok_atom>> replies;
  for (task_id id = 1; id <= 3; ++id)
    replies.push_back(post_create(fx, id));
  auto before = fx.db->writes();
  fx.run();
  BOOST_TEST(fx.db->writes() == before + 1);
  BOOST_TEST(stored(fx, 1));
  BOOST_TEST(stored(fx, 2));
  BOOST_TEST(stored(fx, 3));
  for (auto& r : replies) {
    BOOST_REQUIRE(r->has_value());
    BOOST_TEST(static_cast<bool>(**r));
  }
}

BOOST_AUTO_TEST_CASE(a_refused_create_of_a_sweep_fails_alone) {
  actor_fixture fx;
  auto first = post_create(fx, 5);
  auto reused = post_create(fx, 5); // an id given before: refused
  auto below = post_create(fx, 4);  // below next_id as of the first
  auto last = post_create(fx, 6);
  fx.run();
  for (auto* r : {&first, &reused, &below, &last})
    BOOST_REQUIRE((*r)->has_value());
  BOOST_TEST(static_cast<bool>(**first));
  BOOST_TEST(!static_cast<bool>(**reused));
  BOOST_TEST(!static_cast<bool>(**below));
  BOOST_TEST(static_cast<bool>(**last));
  BOOST_TEST(stored(fx, 5));
  BOOST_TEST(!stored(fx, 4));
  BOOST_TEST(stored(fx, 6));
  BOOST_TEST(fx.db->counts().total == 2u);
}

BOOST_AUTO_TEST_CASE(a_sweep_sees_its_own_writes_in_order) {
  actor_fixture fx;
  auto created = post_create(fx, 1);
  auto t = pending_task(1, "sim-0001");
  t.status = task_status::running;
  auto started = fx.post<ok_atom>(fx.store, update_atom::value,
                                  std::vector<task>{t},
                                  std::vector<task_log>{});
  auto line = [](const char* text) {
    log_line l;
    l.text = text;
    return l;
  };
  auto first = fx.post<ok_atom>(fx.store, log_atom::value, task_id{1},
                                std::vector<log_line>{line("one")});
  auto second = fx.post<ok_atom>(fx.store, log_atom::value, task_id{1},
                                 std::vector<log_line>{line("two")});
  auto missing = fx.post<ok_atom>(fx.store, log_atom::value, task_id{9},
                                  std::vector<log_line>{line("lost")});
  // A read in the same sweep: the writes before it are written first.
  auto read = fx.post<task>(fx.store, get_atom::value, task_id{1});
  fx.run();
  for (auto* r : {&created, &started, &first, &second, &missing})
    BOOST_REQUIRE((*r)->has_value());
  BOOST_TEST(static_cast<bool>(**created));
  BOOST_TEST(static_cast<bool>(**started));
  BOOST_TEST(static_cast<bool>(**first));
  BOOST_TEST(static_cast<bool>(**second));
  BOOST_TEST(!static_cast<bool>(**missing)); // no task 9: alone refused
  BOOST_REQUIRE(read->has_value());
  BOOST_TEST((unbox(std::move(**read)).status == task_status::running));
  std::vector<log_line> lines;
  BOOST_REQUIRE(fx.db->get_log(1, lines) == store_errc::ok);
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0].text == "one");
  BOOST_TEST(lines[1].text == "two");
}

BOOST_AUTO_TEST_CASE(a_read_of_a_task_no_waiting_write_touches_waits_for_none) {
  actor_fixture fx;
  auto first = post_create(fx, 1);
  fx.run();
  BOOST_REQUIRE(first->has_value());
  auto before = fx.db->writes();
  auto second = post_create(fx, 2);
  auto untouched = fx.post<task>(fx.store, get_atom::value, task_id{1});
  auto third = post_create(fx, 3);
  fx.run();
  // Task 1 is as stored: the read did not write task 2 ahead of task 3.
  BOOST_TEST(fx.db->writes() == before + 1);
  BOOST_REQUIRE(untouched->has_value() && second->has_value()
                && third->has_value());
  BOOST_TEST(static_cast<bool>(**untouched));
  BOOST_TEST(static_cast<bool>(**second));
  BOOST_TEST(static_cast<bool>(**third));
  // A read of a task a waiting write touches writes it first.
  before = fx.db->writes();
  auto fourth = post_create(fx, 4);
  auto touched = fx.post<task>(fx.store, get_atom::value, task_id{4});
  auto fifth = post_create(fx, 5);
  fx.run();
  BOOST_TEST(fx.db->writes() == before + 2);
  BOOST_REQUIRE(touched->has_value() && fourth->has_value()
                && fifth->has_value());
  BOOST_TEST(static_cast<bool>(**touched));
  BOOST_TEST(static_cast<bool>(**fifth));
}

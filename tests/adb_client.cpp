// Tests of host/adb_protocol (the adb server's wire format, pure) and
// host/adb_client (one-shot services and the device tracker) against
// tests/fake_adb.py, which speaks the real adb host protocol.
#define BOOST_TEST_MODULE adb_client
#include <boost/test/unit_test.hpp>

#include "tests/eventually.hpp"

#include "host/adb_client.hpp"
#include "host/adb_protocol.hpp"
#include "tests/fake_adb_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace tmx::host;
using tmx::test::eventually;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// The fake adb server, with the endpoint the client code takes.
struct fake_adb : tmx::test::fake_adb_process {
  using fake_adb_process::fake_adb_process;
  adb_endpoint endpoint() const { return {"127.0.0.1", port()}; }
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A port nobody listens on: one the kernel just handed out, let go again.
uint16_t closed_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Holds a port while no fake does: accepts and drops every connection, so
// each reconnection attempt of a tracker can be counted.
struct dropping_listener {
  int fd = -1;
  size_t accepted = 0;

  explicit dropping_listener(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(port);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(fd, 16) == 0);
  }
  ~dropping_listener() { ::close(fd); }

  size_t drop_all() {
    for (int c; (c = ::accept(fd, nullptr, nullptr)) >= 0; ++accepted)
      ::close(c);
    return accepted;
  }
};

// "SERIAL=state ..." sorted, so lists compare as text.
std::string describe(const std::vector<adb_device>& list) {
  std::vector<std::string> items;
  for (const auto& d : list)
    items.push_back(d.serial + "=" + d.state);
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : " ") + i;
  return out;
}

// What a device_tracker reported, with waits on it.
struct tracker_log {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> lists; // each as describe() gives it
  std::vector<std::string> losses;

  device_tracker::changed_fn on_changed() {
    return [this](std::vector<adb_device> l) { record(lists, describe(l)); };
  }
  device_tracker::lost_fn on_lost() {
    return [this](std::string why) { record(losses, std::move(why)); };
  }
  void record(std::vector<std::string>& to, std::string what) {
    std::lock_guard<std::mutex> lock(mutex);
    to.push_back(std::move(what));
    cv.notify_all();
  }

  // `done` runs under the lock.
  template <class Predicate>
  bool wait(Predicate done, milliseconds limit = 5s) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, limit, done);
  }

  // Waits for a list that is `text`, after the first `after` lists.
  bool wait_list(const std::string& text, size_t after = 0) {
    return wait([&] { return lists.size() > after && lists.back() == text; });
  }

  size_t changed_count() { return count(lists); }
  size_t lost_count() { return count(losses); }
  size_t count(const std::vector<std::string>& of) {
    std::lock_guard<std::mutex> lock(mutex);
    return of.size();
  }
};

struct service_result {
  bool ok = false;
  std::string output, error;
};

service_result run(const fake_adb& fake, const std::string& serial,
                   const std::string& service, size_t max_bytes = 16u << 20) {
  service_result r;
  r.ok = adb_device_service(fake.endpoint(), serial, service, r.output, r.error,
                            5s, max_bytes);
  return r;
}

// How long `f` took, in milliseconds.
template <class F>
long long took_ms(F f) {
  auto start = steady_clock::now();
  f();
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start)
    .count();
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string png_signature = "\x89PNG\r\n\x1a\n";

} // namespace

// --- the wire format --------------------------------------------------------

BOOST_AUTO_TEST_CASE(requests_are_framed_with_a_hex_length) {
  BOOST_TEST(adb_request("host:version") == "000chost:version");
  BOOST_TEST(adb_request("host:track-devices-l") == "0014host:track-devices-l");
  BOOST_TEST(adb_request("") == "0000");
  size_t n = 0;
  BOOST_TEST((parse_hex_length("000c", n) && n == 12));
  BOOST_TEST((parse_hex_length("FFff", n) && n == 0xffff));
  for (const char* bad : {"", "00c", "000c0", "0x0c", "-001", " 00c", "zzzz"})
    BOOST_TEST(!parse_hex_length(bad, n), "accepted '" << bad << "'");
}

BOOST_AUTO_TEST_CASE(device_lists_in_long_format) {
  auto list = parse_device_list(
    "emu1                   device product:panther model:Pixel_7 "
    "device:panther transport_id:1\n"
    "R58M1234   unauthorized transport_id:2\n"
    "emulator-5556          offline transport_id:4\n"
    "0123456789ABCDEF       no permissions (user in plugdev group; are your "
    "udev rules wrong?); see [http://developer.android.com/tools/device.html]"
    " transport_id:3\n");
  BOOST_REQUIRE_EQUAL(list.size(), 4u);
  BOOST_TEST(list[0].serial == "emu1");
  BOOST_TEST(list[0].state == "device");
  BOOST_TEST(describe(list)
             == "0123456789ABCDEF=no permissions "
                "R58M1234=unauthorized emu1=device "
                "emulator-5556=offline");
}

BOOST_AUTO_TEST_CASE(device_lists_empty_crlf_and_blank_lines) {
  BOOST_TEST(parse_device_list("").empty());
  BOOST_TEST(parse_device_list("\n\r\n  \n").empty());
  auto list = parse_device_list("\r\nemu1\tdevice\r\n\n"
                                "R58M1234 unauthorized transport_id:2\r\n"
                                "no-state-yet   \r\n");
  BOOST_TEST(describe(list) == "R58M1234=unauthorized emu1=device");
}

BOOST_AUTO_TEST_CASE(state_reasons) {
  BOOST_TEST(state_reason("device") == "");
  BOOST_TEST(state_reason("unauthorized") == "unauthorized");
  BOOST_TEST(state_reason("offline") == "offline");
  BOOST_TEST(state_reason("no permissions") == "no permissions");
}

BOOST_AUTO_TEST_CASE(battery_level_from_dumpsys) {
  const std::string head = "Current Battery Service state:\n"
                           "  AC powered: false\n"
                           "  USB powered: true\n"
                           "  Max charging current: 500000\n"
                           "  Max charging voltage: 5000000\n"
                           "  Charge counter: 3741000\n"
                           "  status: 2\n"
                           "  Battery level: 12\n";
  const std::string tail = "  scale: 100\n"
                           "  voltage: 4213\n"
                           "  technology: Li-ion\n"
                           "  Capacity level: 3\n";
  BOOST_TEST(parse_battery_level(head + "  level: 87\n" + tail) == 87);
  BOOST_TEST(parse_battery_level(head + "  level: 100\r\n" + tail) == 100);
  BOOST_TEST(parse_battery_level("level: 0") == 0);
  BOOST_TEST(parse_battery_level(head + tail) == -1);
  BOOST_TEST(parse_battery_level(head + "  level: 150\n" + tail) == -1);
  BOOST_TEST(parse_battery_level("") == -1);
}

BOOST_AUTO_TEST_CASE(first_lines) {
  BOOST_TEST(first_line("Pixel 7\n") == "Pixel 7");
  BOOST_TEST(first_line("14\r\n") == "14");
  BOOST_TEST(first_line("a\nb\n") == "a");
  BOOST_TEST(first_line("no end") == "no end");
  BOOST_TEST(first_line("") == "");
}

// --- one-shot services ------------------------------------------------------

BOOST_AUTO_TEST_CASE(services_on_a_device) {
  fake_adb fake;
  fake.command("add emu1 model=Pixel_8 battery=42");
  auto model = run(fake, "emu1", "shell:getprop ro.product.model");
  BOOST_TEST_REQUIRE(model.ok, model.error);
  BOOST_TEST(first_line(model.output) == "Pixel 8");
  fake.command("battery emu1 55");
  auto battery = run(fake, "emu1", "shell:dumpsys battery");
  BOOST_TEST_REQUIRE(battery.ok, battery.error);
  BOOST_TEST(parse_battery_level(battery.output) == 55);
  auto png = run(fake, "emu1", "exec:screencap -p");
  BOOST_TEST_REQUIRE(png.ok, png.error);
  BOOST_TEST(png.output.size() > png_signature.size());
  BOOST_TEST(png.output.compare(0, png_signature.size(), png_signature) == 0);
  // An answer over the cap is an error, not a cut picture.
  auto capped = run(fake, "emu1", "exec:screencap -p", 100);
  BOOST_TEST(!capped.ok);
  BOOST_TEST(capped.output.empty());
  BOOST_TEST(capped.error.find("larger than 100 bytes") != std::string::npos,
             capped.error);
  auto exact = run(fake, "emu1", "exec:screencap -p", png.output.size());
  BOOST_TEST_REQUIRE(exact.ok, exact.error);
  BOOST_TEST(exact.output == png.output);
}

BOOST_AUTO_TEST_CASE(services_that_fail) {
  fake_adb fake;
  fake.command("add R58M1234 unauthorized");
  fake.command("add emu2 offline");
  auto unknown = run(fake, "nosuch42", "shell:getprop ro.product.model");
  BOOST_TEST(!unknown.ok);
  BOOST_TEST(mentions(unknown.error, "nosuch42"), unknown.error);
  BOOST_TEST(mentions(unknown.error, "not found"), unknown.error);
  auto unauthorized = run(fake, "R58M1234", "shell:getprop ro.product.model");
  BOOST_TEST(!unauthorized.ok);
  BOOST_TEST(mentions(unauthorized.error, "unauthorized"), unauthorized.error);
  auto offline = run(fake, "emu2", "shell:true");
  BOOST_TEST(!offline.ok);
  BOOST_TEST(mentions(offline.error, "offline"), offline.error);
}

BOOST_AUTO_TEST_CASE(a_closed_port_fails_quickly) {
  std::string output, error;
  bool ok = true;
  BOOST_TEST(took_ms([&] {
               ok = adb_device_service({"127.0.0.1", closed_port()}, "emu1",
                                       "shell:true", output, error, 5s);
             })
             < 1000);
  BOOST_TEST(!ok);
  BOOST_TEST(!error.empty());
}

// --- the device tracker ------------------------------------------------------

BOOST_AUTO_TEST_CASE(tracker_follows_the_device_list) {
  fake_adb fake;
  fake.command("add emu1");
  tracker_log log;
  device_tracker tracker(fake.endpoint(), log.on_changed(), log.on_lost(), 20ms,
                         100ms);
  BOOST_REQUIRE(log.wait_list("emu1=device"));
  fake.command("add R58M1234");
  BOOST_REQUIRE(log.wait_list("R58M1234=device emu1=device"));
  fake.command("state R58M1234 unauthorized");
  BOOST_REQUIRE(log.wait_list("R58M1234=unauthorized emu1=device"));
  fake.command("remove emu1");
  BOOST_REQUIRE(log.wait_list("R58M1234=unauthorized"));
  fake.command("state R58M1234 no_permissions");
  BOOST_REQUIRE(log.wait_list("R58M1234=no permissions"));
  BOOST_TEST(log.lost_count() == 0u);

  // A dropped tracking connection to a server that still answers is no
  // loss: the tracker reconnects and the list comes again.
  size_t before = log.changed_count();
  fake.command("close-tracks");
  BOOST_REQUIRE(log.wait_list("R58M1234=no permissions", before));
  BOOST_TEST(log.lost_count() == 0u);
}

BOOST_AUTO_TEST_CASE(tracker_reports_a_loss_once_and_comes_back) {
  auto fake = std::make_unique<fake_adb>();
  uint16_t port = fake->port();
  fake->command("add emu1");
  tracker_log log;
  device_tracker tracker(fake->endpoint(), log.on_changed(), log.on_lost(),
                         20ms, 100ms);
  BOOST_REQUIRE(log.wait_list("emu1=device"));
  fake->kill();
  BOOST_REQUIRE(log.wait([&] { return log.losses.size() == 1; }));
  {
    // Down for several reconnection attempts: still the one loss.
    dropping_listener down(port);
    BOOST_REQUIRE(eventually([&] { return down.drop_all() >= 3; }));
    BOOST_TEST(log.lost_count() == 1u);
  }
  size_t before = log.changed_count();
  fake = std::make_unique<fake_adb>(port);
  fake->command("add R58M1234");
  BOOST_REQUIRE(log.wait_list("R58M1234=device", before));
  BOOST_TEST(log.lost_count() == 1u);
}

BOOST_AUTO_TEST_CASE(tracker_stops_promptly_while_the_server_is_down) {
  tracker_log log;
  auto tracker = std::make_unique<device_tracker>(
    adb_endpoint{"127.0.0.1", closed_port()}, log.on_changed(), log.on_lost(),
    5s, 5s);
  BOOST_REQUIRE(log.wait([&] { return !log.losses.empty(); }));
  BOOST_TEST(took_ms([&] { tracker.reset(); }) < 1000);
  BOOST_TEST(log.lost_count() == 1u);
  BOOST_TEST(log.changed_count() == 0u);
}

BOOST_AUTO_TEST_CASE(tracker_stops_promptly_while_connected) {
  fake_adb fake;
  tracker_log log;
  auto tracker = std::make_unique<device_tracker>(fake.endpoint(),
                                                  log.on_changed(),
                                                  log.on_lost(), 5s, 5s);
  BOOST_REQUIRE(log.wait_list("")); // an empty list is a list too
  BOOST_TEST(took_ms([&] { tracker.reset(); }) < 1000);
  fake.command("add emu1"); // "ok": sent to every tracker still there
  BOOST_TEST(log.changed_count() == 1u);
  BOOST_TEST(log.lost_count() == 0u);
}

// A webhook's sender thread (see webhook_sender.hpp).
#include "actors/webhook_sender.hpp"

#include "storage/codec.hpp"

#include "actors/webhook_client.hpp"
#include "metrics/metrics.hpp"
#include "model/time.hpp"
#include "model/webhook_signature.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <pthread.h>

namespace tmx {

using steady = std::chrono::steady_clock;

struct sender_signal {
  std::mutex mutex;
  std::condition_variable wake;
  uint64_t newest = 0;   // the newest event id the hub offered
  bool stopped = false;  // the sender is to end
  bool hub_gone = false; // the hub ended the subscription (shutdown)
};

namespace {

/// The sender's ear at the hub: runs on the hub's thread, so it only
/// notes and wakes (a lock held for a few instructions at most).
class sender_sink final : public event_sink {
public:
  explicit sender_sink(std::shared_ptr<sender_signal> signal)
    : signal_(std::move(signal)) {}

  bool offer(const event_batch_ptr& batch) override {
    std::lock_guard<std::mutex> guard(signal_->mutex);
    if (!batch->events.empty())
      signal_->newest = std::max(signal_->newest, batch->events.back().id);
    signal_->wake.notify_all();
    return !signal_->stopped;
  }

  bool reset() override { return alive(); }

  bool keep_alive() override { return alive(); }

  void finish() override {
    std::lock_guard<std::mutex> guard(signal_->mutex);
    signal_->hub_gone = true;
    signal_->wake.notify_all();
  }

private:
  bool alive() {
    std::lock_guard<std::mutex> guard(signal_->mutex);
    return !signal_->stopped;
  }

  std::shared_ptr<sender_signal> signal_;
};

} // namespace

webhook_sender::webhook_sender(caf::actor_system& sys, store_actor db,
                               event_hub_actor hub, webhook w,
                               webhook_options opts, sender_pacing pacing)
  : sys_(sys), db_(std::move(db)), hub_(std::move(hub)), hook_(std::move(w)),
    opts_(opts), pacing_(pacing), signal_(std::make_shared<sender_signal>()) {
  std::string why;
  if (auto url = parse_webhook_url(hook_.url, why))
    client_ = std::make_unique<webhook_client>(*url, opts_.timeout);
  else
    spdlog::error("webhook {}: url {} cannot be used ({}); nothing is sent",
                  hook_.id, hook_.url, why);
}

webhook_sender::~webhook_sender() {
  stop();
  join();
}

void webhook_sender::start() {
  thread_ = std::thread([this] { run(); });
}

void webhook_sender::stop() {
  {
    std::lock_guard<std::mutex> guard(signal_->mutex);
    signal_->stopped = true;
    signal_->wake.notify_all();
  }
  if (client_)
    client_->stop();
}

void webhook_sender::join() {
  if (thread_.joinable())
    thread_.join();
}

std::vector<delivery_attempt> webhook_sender::attempts() const {
  std::lock_guard<std::mutex> guard(log_mutex_);
  return log_.newest_first();
}

void webhook_sender::record(delivery_attempt a) {
  std::lock_guard<std::mutex> guard(log_mutex_);
  log_.add(std::move(a));
}

bool webhook_sender::stopping() const {
  std::lock_guard<std::mutex> guard(signal_->mutex);
  return signal_->stopped;
}

bool webhook_sender::pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(signal_->mutex);
  return !signal_->wake.wait_for(lock, d, [&] { return signal_->stopped; });
}

void webhook_sender::wait_for_events(uint64_t after) {
  std::unique_lock<std::mutex> lock(signal_->mutex);
  // Without the hub (it shut down, or never answered) the store is read
  // again every first_backoff instead.
  auto limit = signal_->hub_gone ? opts_.first_backoff : pacing_.idle_check;
  signal_->wake.wait_for(lock, limit, [&] {
    return signal_->stopped || signal_->hub_gone || signal_->newest > after;
  });
}

void webhook_sender::subscribe(caf::scoped_actor& self) {
  self->send(hub_, subscribe_atom::value, false, uint64_t{0},
             event_sink_ptr{std::make_shared<sender_sink>(signal_)});
  // The hub handles our messages in order: once it answers this, the sink
  // is attached, and every event it has not offered to it was published,
  // so written, before the first read below.
  self->request(hub_, pacing_.store_timeout, get_atom::value)
    .receive([](uint64_t) {},
             [&](caf::error&) {
               std::lock_guard<std::mutex> guard(signal_->mutex);
               signal_->hub_gone = true;
             });
}

std::optional<std::vector<event>>
webhook_sender::read_after(caf::scoped_actor& self, uint64_t after) {
  std::optional<std::vector<event>> out;
  self
    ->request(db_, pacing_.store_timeout, event_atom::value, after,
              pacing_.chunk)
    .receive(
      [&](std::vector<event>& events) {
        // Rendered here, on this sender's thread, not on the store's.
        for (auto& e : events)
          if (!codec::render(e))
            spdlog::error("webhook {}: event {} cannot be decoded", hook_.id,
                          e.id);
        out = std::move(events);
      },
      [&](caf::error& err) {
        // The store gone: the server shuts down, and so will we.
        auto level = err == caf::sec::request_receiver_down
                       ? spdlog::level::debug
                       : spdlog::level::warn;
        spdlog::log(level, "webhook {}: reading the events failed: {}",
                    hook_.id, caf::to_string(err));
      });
  return out;
}

bool webhook_sender::store_cursor(caf::scoped_actor& self, uint64_t cursor) {
  bool stored = false;
  self
    ->request(db_, pacing_.store_timeout, webhook_atom::value,
              cursor_atom::value, hook_.id, cursor)
    .receive([&](ok_atom) { stored = true; },
             [&](caf::error& err) {
               // Removed meanwhile (not_found), or the store refuses
               // writes: the events after the stored cursor are sent again.
               spdlog::debug("webhook {}: cursor {} not stored: {}", hook_.id,
                             cursor, to_api_error(err).message);
             });
  return stored;
}

template <class BeforeWait>
bool webhook_sender::deliver(const event& e, BeforeWait before_wait) {
  auto signature = webhook_signature(hook_.secret, e.data);
  std::string type = to_string(e.type);
  auto backoff = opts_.first_backoff;
  for (uint32_t attempt = 1;; ++attempt) {
    auto at = now_millis();
    auto out = client_->post(e.data, type, e.id, signature);
    if (!out.delivered() && stopping())
      return false; // cut short by stop(): no attempt to speak of
    bool give_up = !out.delivered()
                   && past_give_up(now_millis(), e.at, opts_.give_up);
    if (give_up)
      out.error += "; given up (the event is older than "
                   + describe_duration(opts_.give_up) + ")";
    record({e.id, e.type, attempt, out.status, out.error, at});
    metrics::count_delivery(out.delivered() ? "delivered"
                            : give_up       ? "given_up"
                                            : "failed");
    if (out.delivered())
      return true;
    if (give_up) {
      spdlog::warn("webhook {}: event {} given up: {}", hook_.id, e.id,
                   out.error);
      return true;
    }
    auto level = attempt == 1 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level,
                "webhook {}: event {} attempt {} failed ({}), next in {}",
                hook_.id, e.id, attempt, out.error, describe_duration(backoff));
    before_wait();
    if (!pause(backoff))
      return false;
    backoff = next_backoff(backoff, opts_.max_backoff);
  }
}

void webhook_sender::run() {
  // A receiver that closes its TLS connection must give EPIPE, not end the
  // server: SIGPIPE is blocked in this thread only.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  try {
    caf::scoped_actor self{sys_};
    subscribe(self);
    uint64_t done = hook_.cursor; // every event up to here is settled
    uint64_t stored = hook_.cursor;
    auto stored_at = steady::now();
    auto flush = [&] {
      if (done > stored && store_cursor(self, done))
        stored = done;
      stored_at = steady::now();
    };
    while (client_ && !stopping()) {
      auto events = read_after(self, done);
      if (!events) {
        if (!pause(opts_.first_backoff))
          break;
        continue;
      }
      if (events->empty()) {
        flush(); // always before waiting idle
        wait_for_events(done);
        continue;
      }
      for (auto& e : *events) {
        if (wants(hook_, e.type) && !deliver(e, flush))
          break;
        done = e.id;
        if (done - stored >= pacing_.cursor_every_events
            || steady::now() - stored_at >= pacing_.cursor_every)
          flush();
      }
    }
    flush();
  } catch (const std::exception& ex) {
    spdlog::error("webhook {}: sender ended: {}", hook_.id, ex.what());
  }
  finished_ = true;
}

} // namespace tmx

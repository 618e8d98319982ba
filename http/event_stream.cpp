// The SSE side of the event hub: one sink per client over RESTinio's
// chunked output. The hub calls the sink on its own thread; RESTinio
// writes on the connection's; a sink only appends and flushes, never waits.
#include "http/event_stream.hpp"

#include "http/json.hpp"
#include "http/query_string.hpp"
#include "model/event_query.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

namespace tmx {

namespace {

using chunked = restinio::response_builder_t<restinio::chunked_output_t>;

class sse_stream final : public event_sink {
public:
  sse_stream(chunked resp, event_query query, size_t max_unsent)
    : resp_(std::move(resp)), query_(std::move(query)),
      max_unsent_(max_unsent) {}

  bool offer(const event_batch_ptr& batch) override {
    if (!query_.types)
      return send(std::shared_ptr<const std::string>(batch, &batch->sse),
                  batch->events.size());
    auto text = std::make_shared<std::string>();
    size_t n = 0;
    for (const event& e : batch->events)
      if (query_.wants(e.type)) {
        append_sse(*text, e);
        ++n;
      }
    if (n > 0)
      return send(std::move(text), n);
    std::lock_guard<std::mutex> guard{mutex_};
    return !left();
  }

  bool reset() override {
    static const auto text = std::make_shared<const std::string>(
      "event: reset\ndata: {}\n\n");
    return send(text, 1);
  }

  bool keep_alive() override {
    static const auto text = std::make_shared<const std::string>(
      ": keep-alive\n\n");
    return send(text, 1);
  }

  void finish() override {
    std::lock_guard<std::mutex> guard{mutex_};
    end();
  }

private:
  /// Appends `text` (`events` events) to the stream, or cuts the client
  /// off when too much is unsent already. False once it is gone.
  bool send(std::shared_ptr<const std::string> text, size_t events) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (left())
      return false;
    // Judged on what is still unsent from before: a big batch to a client
    // that keeps up is no reason to cut it off.
    if (unsent_->load() > max_unsent_) {
      spdlog::info("events: a client with {} unsent events is cut off",
                   unsent_->load());
      end();
      return false;
    }
    *unsent_ += events;
    resp_.append_chunk(std::move(text));
    auto unsent = unsent_;
    auto gone = gone_flag_;
    resp_.flush([unsent, gone, events](const asio::error_code& ec) {
      *unsent -= events;
      if (ec)
        *gone = true; // the client left: the next offer says so
    });
    return true;
  }

  /// Gone: ended here, or a write failed (the client left).
  bool left() {
    if (*gone_flag_)
      gone_ = true;
    return gone_;
  }

  void end() {
    if (gone_)
      return;
    gone_ = true;
    *gone_flag_ = true;
    try {
      resp_.done();
    } catch (const std::exception& e) {
      spdlog::debug("events: ending a stream: {}", e.what());
    }
  }

  std::mutex mutex_;
  chunked resp_;
  event_query query_;
  size_t max_unsent_;
  // Shared with the write callbacks, which may outlive the sink.
  std::shared_ptr<std::atomic<size_t>> unsent_
    = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<bool>> gone_flag_
    = std::make_shared<std::atomic<bool>>(false);
  bool gone_ = false;
};

std::string_view view(restinio::string_view_t s) {
  return {s.data(), s.size()};
}

} // namespace

void serve_event_stream(const restinio::request_handle_t& req,
                        const event_hub_actor& hub, size_t max_unsent) {
  event_query query;
  auto q = parse_query_string(view(req->header().query()));
  std::optional<std::string_view> last;
  if (auto v = req->header().opt_value_of("Last-Event-ID"))
    last = view(*v);
  api_error err = q ? parse_event_query(*q, last, query)
                    : invalid("query string is malformed");
  if (err) {
    req->create_response(restinio::status_bad_request())
      .append_header(restinio::http_field::content_type,
                     "application/json; charset=utf-8")
      .set_body(error_body(err))
      .done();
    return;
  }
  auto resp = req->create_response<restinio::chunked_output_t>();
  resp
    .append_header(restinio::http_field::content_type,
                   "text/event-stream; charset=utf-8")
    .append_header(restinio::http_field::cache_control, "no-cache")
    .append_header("X-Accel-Buffering", "no")
    .connection_close();
  resp.flush(); // the headers now: the client knows it is connected
  bool resume = query.resume;
  auto after = query.after;
  event_sink_ptr stream = std::make_shared<sse_stream>(std::move(resp),
                                                       std::move(query),
                                                       max_unsent);
  caf::anon_send(hub, subscribe_atom::value, resume, after, std::move(stream));
}

void end_event_streams(caf::actor_system& sys, const event_hub_actor& hub,
                       std::chrono::milliseconds deadline) {
  if (!hub)
    return;
  caf::scoped_actor self{sys};
  self->request(hub, deadline, shutdown_atom::value)
    .receive([](ok_atom) {},
             [](caf::error& err) {
               spdlog::warn("events: streams not ended cleanly: {}",
                            to_string(err));
             });
}

} // namespace tmx

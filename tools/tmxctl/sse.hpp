// Server-sent events as tmxctl reads them (GET /api/v1/events): a parser
// fed the bytes of a stream in chunks as they arrive, cut anywhere, that
// gives back the events each chunk completes. Pure: no I/O, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tmxctl {

/// One dispatched event.
struct sse_event {
  std::string id;   // the last `id:` seen so far (it carries over), or ""
  std::string type; // `event:`, "message" when the event named none
  std::string data; // the `data:` lines joined with '\n'
};

/// The WHATWG "event stream interpretation": lines end in LF, CRLF or CR;
/// `field: value` (one space after the colon dropped), a line without a
/// colon is a field with an empty value; a line starting with ':' is a
/// comment; a blank line ends an event. Unlike a browser, an event with an
/// `event:` field but no data (`event: reset`) is dispatched too.
class sse_parser {
public:
  /// `last_id`: the id to resume after, as if an event with it was read.
  explicit sse_parser(std::string last_id = {})
    : id_buffer_(last_id), last_id_(std::move(last_id)) {}

  /// The events completed by `chunk` (none while an event is unfinished).
  std::vector<sse_event> feed(std::string_view chunk);

  /// The id a reconnection sends as Last-Event-ID ("" before any): that
  /// of the last complete event, never of one cut off midway.
  const std::string& last_id() const { return last_id_; }

  /// The reconnection delay the server asked for (`retry:`), if it did.
  std::optional<uint64_t> retry_ms() const { return retry_ms_; }

  /// Comment lines seen (keep-alives).
  uint64_t comments() const { return comments_; }

  /// Forgets a half-read line and event (a connection ended midway), so
  /// that the next connection's bytes start afresh; keeps last_id() and
  /// the retry delay.
  void restart();

private:
  void line(std::string_view text, std::vector<sse_event>& out);
  void field(std::string_view name, std::string_view value);

  std::string pending_;   // the unfinished line of the last chunk
  bool after_cr_ = false; // the last chunk ended in CR: skip a leading LF
  bool at_start_ = true;  // a UTF-8 BOM may still come
  std::string data_;
  std::string type_;
  bool has_data_ = false;
  bool has_type_ = false;
  std::string id_buffer_; // the `id:` of the event being read
  std::string last_id_;   // id_buffer_ as of the last blank line
  std::optional<uint64_t> retry_ms_;
  uint64_t comments_ = 0;
};

} // namespace tmxctl

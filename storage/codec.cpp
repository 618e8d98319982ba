// Binary records of tasks, accounts, idempotency keys and task logs (see
// codec.hpp).
#include "storage/codec.hpp"

namespace tmx::codec {

namespace {

class record_writer {
public:
  explicit record_writer(uint8_t format) {
    out_.push_back(static_cast<char>(format));
  }

  record_writer& u64(uint64_t v) {
    for (; v >= 0x80; v >>= 7)
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out_.push_back(static_cast<char>(v));
    return *this;
  }

  // Zigzag, so that a small negative time stays short.
  record_writer& i64(int64_t v) {
    auto bits = static_cast<uint64_t>(v);
    return u64((bits << 1) ^ (v < 0 ? ~uint64_t{0} : 0));
  }

  record_writer& byte(uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
  }

  record_writer& str(std::string_view s) {
    u64(s.size());
    out_.append(s);
    return *this;
  }

  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

// Every read fails once the input is short; callers check ok() at the end.
class record_reader {
public:
  /// Accepts the formats 1 to `newest`; format() says which one it is.
  record_reader(std::string_view in, uint8_t newest) : in_(in) {
    ok_ = byte(format_) && format_ >= 1 && format_ <= newest;
  }

  uint8_t format() const { return format_; }

  bool u64(uint64_t& v) {
    v = 0;
    for (int shift = 0; ok_ && shift < 64; shift += 7) {
      uint8_t b = 0;
      if (!byte(b))
        break;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return true;
    }
    return ok_ = false;
  }

  bool u32(uint32_t& v) {
    uint64_t wide = 0;
    if (!u64(wide) || wide > UINT32_MAX)
      return ok_ = false;
    v = static_cast<uint32_t>(wide);
    return true;
  }

  bool i64(int64_t& v) {
    uint64_t z = 0;
    if (!u64(z))
      return false;
    v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    return true;
  }

  bool byte(uint8_t& v) {
    if (!ok_ || in_.empty())
      return ok_ = false;
    v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }

  bool str(std::string& s) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size())
      return ok_ = false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }

  /// The number of items of a list. Each takes at least one byte: a count
  /// beyond the input is corrupt, and must not drive a huge allocation.
  bool count(uint64_t& n) {
    if (!u64(n) || n > in_.size())
      return ok_ = false;
    return true;
  }

  /// Everything read and nothing left over.
  bool done() const { return ok_ && in_.empty(); }

private:
  std::string_view in_;
  uint8_t format_ = 0;
  bool ok_ = true;
};

} // namespace

std::string encode(const task& t) {
  record_writer w{task_format};
  w.u64(t.id).str(t.serial).str(t.username).str(t.script_name);
  w.str(t.script_config).byte(static_cast<uint8_t>(t.status)).str(t.source);
  w.i64(t.scheduled_at).i64(t.created_at).i64(t.started_at);
  w.i64(t.finished_at).u64(t.retry_count).str(t.remark).str(t.node);
  w.u64(t.queue_seq).u64(t.auto_retry_count).i64(t.exit_code);
  w.u64(t.schedule_id);
  return w.take();
}

bool decode(std::string_view in, task& out) {
  record_reader r{in, task_format};
  uint8_t status = 0;
  if (!(r.u64(out.id) && r.str(out.serial) && r.str(out.username)
        && r.str(out.script_name) && r.str(out.script_config) && r.byte(status)
        && r.str(out.source) && r.i64(out.scheduled_at) && r.i64(out.created_at)
        && r.i64(out.started_at) && r.i64(out.finished_at)
        && r.u32(out.retry_count) && r.str(out.remark) && r.str(out.node)
        && r.u64(out.queue_seq)))
    return false;
  out.auto_retry_count = 0; // format 1 has none
  if (r.format() >= 2 && !r.u32(out.auto_retry_count))
    return false;
  int64_t exit_code = no_exit_code; // formats 1 and 2 have none
  if (r.format() >= 3
      && !(r.i64(exit_code) && exit_code >= no_exit_code && exit_code <= 255))
    return false;
  out.exit_code = static_cast<int>(exit_code);
  out.schedule_id = 0; // formats 1 to 3 have none
  if (r.format() >= 4 && !r.u64(out.schedule_id))
    return false;
  out.status = static_cast<task_status>(status);
  return r.done() && status < status_count;
}

std::string encode(const account& a) {
  record_writer w{account_format};
  w.str(a.username).str(a.serial).str(a.platform).byte(a.enabled ? 1 : 0);
  return w.take();
}

bool decode(std::string_view in, account& out) {
  record_reader r{in, account_format};
  uint8_t enabled = 0;
  if (!(r.str(out.username) && r.str(out.serial) && r.str(out.platform)
        && r.byte(enabled)))
    return false;
  out.enabled = enabled != 0;
  return r.done() && enabled <= 1;
}

std::string encode(const idempotency_record& rec) {
  record_writer w{idempotency_format};
  w.str(rec.key).str(rec.fingerprint).u64(rec.task_ids.size());
  for (task_id id : rec.task_ids)
    w.u64(id);
  w.i64(rec.created_at);
  return w.take();
}

bool decode(std::string_view in, idempotency_record& out) {
  record_reader r{in, idempotency_format};
  uint64_t n = 0;
  if (!(r.str(out.key) && r.str(out.fingerprint) && r.count(n)))
    return false;
  out.task_ids.assign(n, 0);
  for (task_id& id : out.task_ids)
    if (!r.u64(id))
      return false;
  return r.i64(out.created_at) && r.done();
}

std::string encode(const std::vector<log_line>& lines) {
  record_writer w{log_format};
  w.u64(lines.size());
  for (const log_line& line : lines)
    w.i64(line.at).str(line.text);
  return w.take();
}

bool decode(std::string_view in, std::vector<log_line>& out) {
  record_reader r{in, log_format};
  uint64_t n = 0;
  if (!r.count(n))
    return false;
  out.assign(n, {});
  for (log_line& line : out)
    if (!(r.i64(line.at) && r.str(line.text)))
      return false;
  return r.done();
}

namespace {

bool known_type(uint8_t t) {
  for (auto known : all_event_types)
    if (t == static_cast<uint8_t>(known))
      return true;
  return false;
}

} // namespace

std::string encode(const event& e) {
  record_writer w{event_format};
  w.byte(static_cast<uint8_t>(e.type)).i64(e.at).str(e.data);
  w.str(e.task_record);
  return w.take();
}

bool decode(std::string_view in, event& out) {
  record_reader r{in, event_format};
  uint8_t type = 0;
  if (!(r.byte(type) && r.i64(out.at) && r.str(out.data)
        && r.str(out.task_record))
      || !known_type(type))
    return false;
  out.type = static_cast<event_type>(type);
  return r.done() && (out.data.empty() != out.task_record.empty());
}

bool render(event& e) {
  if (!e.data.empty())
    return true;
  task t;
  if (!decode(e.task_record, t))
    return false;
  e.data = make_task_event(e.type, e.at, t).data;
  e.task_record.clear();
  e.task_record.shrink_to_fit();
  return true;
}

std::string encode(const webhook& h) {
  record_writer w{webhook_format};
  w.str(h.url).u64(h.events.size());
  for (auto t : h.events)
    w.byte(static_cast<uint8_t>(t));
  w.str(h.secret).i64(h.created_at);
  return w.take();
}

bool decode(std::string_view in, webhook& out) {
  record_reader r{in, webhook_format};
  uint64_t n = 0;
  if (!(r.str(out.url) && r.count(n)))
    return false;
  out.events.clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t type = 0;
    if (!r.byte(type) || !known_type(type))
      return false;
    out.events.push_back(static_cast<event_type>(type));
  }
  return r.str(out.secret) && r.i64(out.created_at) && r.done();
}

std::string encode(const device_group& g) {
  record_writer w{group_format};
  w.u64(g.serials.size());
  for (auto& serial : g.serials)
    w.str(serial);
  w.i64(g.created_at);
  return w.take();
}

bool decode(std::string_view in, device_group& out) {
  record_reader r{in, group_format};
  uint64_t n = 0;
  if (!r.count(n))
    return false;
  out.serials.assign(n, {});
  for (auto& serial : out.serials)
    if (!r.str(serial))
      return false;
  return r.i64(out.created_at) && r.done();
}

std::string encode(const schedule& s) {
  record_writer w{schedule_format};
  w.str(s.name).byte(s.enabled ? 1 : 0).u64(s.weekdays.size());
  for (auto day : s.weekdays)
    w.byte(day);
  w.u64(s.times.size());
  for (auto minute : s.times)
    w.u64(minute);
  w.str(s.task).i64(s.created_at).i64(s.armed_at).i64(s.last_slot);
  w.i64(s.last_run_at).u64(s.last_task_ids.size());
  for (auto id : s.last_task_ids)
    w.u64(id);
  return w.take();
}

bool decode(std::string_view in, schedule& out) {
  record_reader r{in, schedule_format};
  uint8_t enabled = 0;
  uint64_t n = 0;
  if (!(r.str(out.name) && r.byte(enabled) && enabled <= 1 && r.count(n)))
    return false;
  out.enabled = enabled != 0;
  out.weekdays.assign(n, 0);
  for (auto& day : out.weekdays)
    if (!r.byte(day) || day < 1 || day > 7)
      return false;
  if (!r.count(n))
    return false;
  out.times.assign(n, 0);
  for (auto& minute : out.times) {
    uint64_t m = 0;
    if (!r.u64(m) || m >= 24 * 60)
      return false;
    minute = static_cast<uint16_t>(m);
  }
  if (!(r.str(out.task) && r.i64(out.created_at) && r.i64(out.armed_at)
        && r.i64(out.last_slot) && r.i64(out.last_run_at) && r.count(n)))
    return false;
  out.last_task_ids.assign(n, 0);
  for (auto& id : out.last_task_ids)
    if (!r.u64(id))
      return false;
  out.next_run_at = 0;
  return r.done();
}

} // namespace tmx::codec

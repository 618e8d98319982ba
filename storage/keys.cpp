// Key encoding of the store (see keys.hpp).
#include "storage/keys.hpp"

namespace tmx::keys {

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < id_size; ++i)
    v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

void put_text(std::string& out, std::string_view text) {
  auto n = static_cast<uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(text);
}

bool take_text(std::string_view& in, std::string_view& text) {
  if (in.size() < 4)
    return false;
  uint32_t n = 0;
  for (size_t i = 0; i < 4; ++i)
    n = (n << 8) | static_cast<uint8_t>(in[i]);
  if (in.size() - 4 < n)
    return false;
  text = in.substr(4, n);
  in.remove_prefix(4 + n);
  return true;
}

namespace {

constexpr uint64_t sign_bit = uint64_t{1} << 63;

} // namespace

void put_time(std::string& out, millis at) {
  put_u64(out, static_cast<uint64_t>(at) ^ sign_bit);
}

millis get_time(std::string_view in) {
  return static_cast<millis>(get_u64(in) ^ sign_bit);
}

std::string u64_bytes(uint64_t v) {
  std::string out;
  put_u64(out, v);
  return out;
}

std::string task_key(task_id id) {
  return u64_bytes(id);
}

std::string event_key(uint64_t id) {
  return u64_bytes(id);
}

std::string schedule_key(uint64_t id) {
  return u64_bytes(id);
}

std::string webhook_key(uint64_t id) {
  return 'w' + u64_bytes(id);
}

std::string webhook_cursor_key(uint64_t id) {
  return 'c' + u64_bytes(id);
}

std::string due(millis at, task_id id) {
  std::string out(1, due_tag);
  put_time(out, at);
  put_u64(out, id);
  return out;
}

bool parse_due(std::string_view key, millis& at, task_id& id) {
  if (key.size() != due_size || key[0] != due_tag)
    return false;
  at = get_time(key.substr(1));
  id = get_u64(key.substr(1 + 8));
  return true;
}

} // namespace tmx::keys

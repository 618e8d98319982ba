// The adb server's wire format (see adb_protocol.hpp and, in the Android
// platform sources, adb's SERVICES.TXT and transport.cpp's device lists).
#include "host/adb_protocol.hpp"

#include <charconv>
#include <cstdio>

namespace tmx::host {

std::string adb_request(std::string_view service) {
  char length[5];
  std::snprintf(length, sizeof(length), "%04zx", service.size() & 0xffff);
  return std::string(length, 4) + std::string(service);
}

bool parse_hex_length(std::string_view four, size_t& out) {
  if (four.size() != 4)
    return false;
  auto end = four.data() + four.size();
  auto [ptr, err] = std::from_chars(four.data(), end, out, 16);
  return err == std::errc{} && ptr == end;
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  return s;
}

} // namespace

std::vector<adb_device> parse_device_list(std::string_view text) {
  std::vector<adb_device> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{}
                                         : text.substr(end + 1);
    line = skip_spaces(line);
    size_t n = 0;
    while (n < line.size() && !is_space(line[n]))
      ++n;
    if (n == 0)
      continue;
    adb_device dev{std::string(line.substr(0, n)), ""};
    auto rest = skip_spaces(line.substr(n));
    // The one state with a space, followed by advice in parentheses.
    constexpr std::string_view no_permissions = "no permissions";
    if (rest.substr(0, no_permissions.size()) == no_permissions) {
      dev.state = std::string(no_permissions);
    } else {
      size_t m = 0;
      while (m < rest.size() && !is_space(rest[m]) && rest[m] != '\r')
        ++m;
      dev.state = std::string(rest.substr(0, m));
    }
    if (!dev.state.empty())
      out.push_back(std::move(dev));
  }
  return out;
}

std::string state_reason(std::string_view adb_state) {
  if (adb_state == "device")
    return "";
  return std::string(adb_state);
}

int parse_battery_level(std::string_view dumpsys) {
  constexpr std::string_view key = "level:";
  for (size_t pos = 0; (pos = dumpsys.find(key, pos)) != dumpsys.npos;
       pos += key.size()) {
    // "level:" must start its line (after indentation), not be "...level:".
    auto start = dumpsys.rfind('\n', pos);
    auto before = dumpsys.substr(start == dumpsys.npos ? 0 : start + 1,
                                 pos - (start == dumpsys.npos ? 0 : start + 1));
    if (!skip_spaces(before).empty())
      continue;
    auto value = skip_spaces(dumpsys.substr(pos + key.size()));
    int level = -1;
    auto [ptr, err] = std::from_chars(value.data(), value.data() + value.size(),
                                      level);
    if (err == std::errc{} && level >= 0 && level <= 100)
      return level;
  }
  return -1;
}

std::string first_line(std::string_view text) {
  auto end = text.find_first_of("\r\n");
  return std::string(text.substr(0, end));
}

} // namespace tmx::host

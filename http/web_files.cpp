#include "http/web_files.hpp"

#include "http/web_assets.hpp"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace tmx {

namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  // 15 + 16: a gzip wrapper, not zlib's.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9,
                   Z_DEFAULT_STRATEGY)
      != Z_OK)
    return {};
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string{};
}

/// FNV-1a over the bytes: enough to tell two versions of a file apart.
std::string etag_of(const std::string& body) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char text[24];
  std::snprintf(text, sizeof text, "\"%016llx\"",
                static_cast<unsigned long long>(h));
  return text;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

/// Whether `pred` holds for a member of a comma-separated header value
/// (each trimmed).
template <class Pred>
bool any_member(std::string_view value, Pred pred) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (pred(trimmed(value.substr(0, comma))))
      return true;
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

/// "/js/app.js" → "js/app.js"; "" when the path may not name a file.
std::string relative_name(std::string_view path) {
  if (path == "/")
    return "index.html";
  if (path.empty() || path.front() != '/')
    return {};
  path.remove_prefix(1);
  std::string_view rest = path;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (seg.empty() || seg.front() == '.')
      return {};
    if (slash == std::string_view::npos)
      break;
    rest.remove_prefix(slash + 1);
    if (rest.empty())
      return {}; // a trailing slash names no file
  }
  for (char c : path)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.'
          || c == '-' || c == '_'))
      return {};
  return std::string(path);
}

} // namespace

const char* content_type_of(std::string_view name) {
  struct entry {
    const char* ext;
    const char* type;
  };
  static constexpr entry types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json; charset=utf-8"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& t : types)
    if (ends_with(name, t.ext))
      return t.type;
  return "application/octet-stream";
}

std::shared_ptr<const web_file> make_web_file(std::string_view name,
                                              std::string body) {
  auto f = std::make_shared<web_file>();
  f->content_type = content_type_of(name);
  f->etag = etag_of(body);
  bool compressible = f->content_type.rfind("text/", 0) == 0
                      || f->content_type.rfind("application/json", 0) == 0
                      || f->content_type == "image/svg+xml";
  if (compressible && body.size() > 256) {
    auto z = gzip(body);
    if (!z.empty() && z.size() < body.size())
      f->gzipped = std::move(z);
  }
  f->body = std::move(body);
  return f;
}

web_files::web_files(std::string dir) : dir_(std::move(dir)) {
  if (!dir_.empty())
    return;
  for (size_t i = 0; i < web_asset_count; ++i) {
    const auto& a = web_assets[i];
    files_.emplace(a.name, make_web_file(a.name, std::string(a.data, a.size)));
  }
}

std::shared_ptr<const web_file> web_files::find(std::string_view path) const {
  auto name = relative_name(path);
  if (name.empty())
    return nullptr;
  if (dir_.empty()) {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : it->second;
  }
  std::ifstream in(dir_ + "/" + name, std::ios::binary);
  if (!in)
    return nullptr;
  std::ostringstream body;
  body << in.rdbuf();
  return make_web_file(name, body.str());
}

bool accepts_gzip(std::string_view value) {
  // Each member: coding [; q=value]. gzip;q=0 refuses it.
  return any_member(value, [](std::string_view item) {
    auto semi = item.find(';');
    if (trimmed(item.substr(0, semi)) != "gzip"
        && trimmed(item.substr(0, semi)) != "*")
      return false;
    auto eq = item.find('=', semi);
    if (semi == std::string_view::npos || eq == std::string_view::npos)
      return true;
    auto number = trimmed(item.substr(eq + 1));
    return number.find_first_not_of("0.") != std::string_view::npos
           || number.empty();
  });
}

bool etag_matches(std::string_view value, std::string_view etag) {
  return any_member(value, [etag](std::string_view item) {
    if (item.substr(0, 2) == "W/")
      item.remove_prefix(2);
    return item == "*" || item == etag;
  });
}

} // namespace tmx

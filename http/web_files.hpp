// The dashboard's static files (web/): embedded into tmx-server at build
// time (tools/embed_web.cmake), or read from a directory for development
// (http.web-dir). Each is kept with its content type, a gzip copy when
// that is smaller, and an ETag. No RESTinio here: http/server.cpp sends.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tmx {

struct web_file {
  std::string content_type;
  std::string body;
  std::string gzipped; // empty when gzip would not make it smaller
  std::string etag;    // quoted, as the header carries it
};

class web_files {
public:
  /// The embedded files; or, when `dir` is not empty, the files under it,
  /// read again at every request (an edit shows on reload).
  explicit web_files(std::string dir = {});

  /// The file a request path names ("/" is "/index.html"), or null: no
  /// such file, or a path that is not a plain relative one (no "..", no
  /// empty or dot segments, no escapes).
  std::shared_ptr<const web_file> find(std::string_view path) const;

  /// How many files are embedded (0 when serving from a directory).
  size_t embedded() const { return files_.size(); }

private:
  std::string dir_;
  std::map<std::string, std::shared_ptr<const web_file>, std::less<>> files_;
};

/// A web_file of `body` served as `name` (its extension gives the type).
std::shared_ptr<const web_file> make_web_file(std::string_view name,
                                              std::string body);

/// The content type of a file name by its extension.
const char* content_type_of(std::string_view name);

/// Whether an Accept-Encoding header value accepts gzip (q > 0).
bool accepts_gzip(std::string_view accept_encoding);

/// Whether an If-None-Match header value matches `etag` ("*" does).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

} // namespace tmx

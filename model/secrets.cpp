// Masking and redaction of a config's secrets (see secrets.hpp).
#include "model/secrets.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>

namespace tmx {

namespace {

using rapidjson::Value;

std::string_view name_of(const Value::Member& m) {
  return {m.name.GetString(), m.name.GetStringLength()};
}

// An empty or absent key hides nothing.
bool is_no_key(const Value& v) {
  return v.IsNull() || (v.IsString() && v.GetStringLength() == 0);
}

// Every api_key of every chatgpt_settings: a config whose names repeat
// (the API refuses it, but a renderer must not rely on that) hides them all.
template <class F>
void for_each_secret(Value& config, F&& f) {
  if (!config.IsObject())
    return;
  for (auto& settings : config.GetObject()) {
    if (name_of(settings) != "chatgpt_settings" || !settings.value.IsObject())
      continue;
    for (auto& key : settings.value.GetObject())
      if (name_of(key) == "api_key" && !is_no_key(key.value))
        f(key.value);
  }
}

// A text that cannot name an api_key: neither the name nor an escape that
// could spell it. Configs the server stores are written by RapidJSON, which
// escapes only control characters, so this is the common answer.
bool cannot_hold_secret(std::string_view config) {
  return config.find("api_key") == std::string_view::npos
         && config.find("\\u") == std::string_view::npos;
}

// Writes the JSON it reads with the secrets masked, as mask_secrets
// would, but each number as its text: a double read and written again
// by RapidJSON 1.1.0 can move by an ulp, and a rendering must show the
// config as stored.
class masking_writer {
public:
  using Ch = char;

  explicit masking_writer(rapidjson::StringBuffer& buf) : w_(buf) {}

  bool masked() const { return masked_; }

  bool Null() {
    return scalar(true, [&] { return w_.Null(); });
  }
  bool Bool(bool b) {
    return scalar(false, [&] { return w_.Bool(b); });
  }
  bool Int(int) { return false; } // numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

  bool RawNumber(const Ch* text, rapidjson::SizeType n, bool) {
    return scalar(false,
                  [&] { return w_.RawValue(text, n, rapidjson::kNumberType); });
  }

  bool String(const Ch* text, rapidjson::SizeType n, bool) {
    return scalar(n == 0, [&] { return w_.String(text, n); });
  }

  bool Key(const Ch* text, rapidjson::SizeType n, bool) {
    if (skipping_ > 0)
      return true;
    frames_.back().key.assign(text, n);
    return w_.Key(text, n);
  }

  bool StartObject() { return open(true); }
  bool EndObject(rapidjson::SizeType) { return close(true); }
  bool StartArray() { return open(false); }
  bool EndArray(rapidjson::SizeType) { return close(false); }

private:
  struct frame {
    bool object;
    bool settings; // the top-level object's chatgpt_settings
    std::string key;
  };

  bool secret_slot() const {
    return !frames_.empty() && frames_.back().settings
           && frames_.back().key == "api_key";
  }

  template <class F>
  bool scalar(bool no_key, F&& write) {
    if (skipping_ > 0)
      return true;
    if (!secret_slot() || no_key)
      return write();
    masked_ = true;
    return w_.String(secret_mask.data(),
                     static_cast<rapidjson::SizeType>(secret_mask.size()));
  }

  bool open(bool object) {
    if (skipping_ > 0 || secret_slot()) {
      // A key that is a whole object or array: the mask stands for it.
      if (skipping_++ == 0) {
        masked_ = true;
        return w_.String(secret_mask.data(),
                         static_cast<rapidjson::SizeType>(secret_mask.size()));
      }
      return true;
    }
    bool settings = object && frames_.size() == 1 && frames_[0].object
                    && frames_[0].key == "chatgpt_settings";
    frames_.push_back({object, settings, {}});
    return object ? w_.StartObject() : w_.StartArray();
  }

  bool close(bool object) {
    if (skipping_ > 0) {
      --skipping_;
      return true;
    }
    frames_.pop_back();
    return object ? w_.EndObject() : w_.EndArray();
  }

  rapidjson::Writer<rapidjson::StringBuffer> w_;
  std::vector<frame> frames_;
  int skipping_ = 0;
  bool masked_ = false;
};

std::string json_escaped(std::string_view text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  std::string_view quoted(buf.GetString(), buf.GetSize());
  return std::string(quoted.substr(1, quoted.size() - 2));
}

} // namespace

bool mask_secrets(Value& config) {
  bool any = false;
  for_each_secret(config, [&](Value& v) {
    v.SetString(rapidjson::StringRef(secret_mask.data(), secret_mask.size()));
    any = true;
  });
  return any;
}

std::optional<std::string> masked_config(std::string_view config) {
  if (cannot_hold_secret(config))
    return std::nullopt;
  rapidjson::MemoryStream bytes(config.data(), config.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(
    bytes);
  rapidjson::StringBuffer buf;
  masking_writer out(buf);
  rapidjson::Reader reader;
  constexpr unsigned flags = rapidjson::kParseIterativeFlag
                             | rapidjson::kParseNumbersAsStringsFlag;
  if (!reader.Parse<flags>(in, out) || !out.masked())
    return std::nullopt;
  return std::string(buf.GetString(), buf.GetSize());
}

std::vector<std::string> secrets_of(std::string_view config) {
  std::vector<std::string> out;
  if (cannot_hold_secret(config))
    return out;
  rapidjson::Document doc;
  doc.Parse(config.data(), config.size());
  if (doc.HasParseError())
    return out;
  for_each_secret(doc, [&](Value& v) {
    if (!v.IsString())
      return;
    std::string key(v.GetString(), v.GetStringLength());
    auto escaped = json_escaped(key);
    out.push_back(std::move(key));
    if (escaped != out.back())
      out.push_back(std::move(escaped));
  });
  // Longest first: a key inside another is redacted as part of the other.
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.size() > b.size(); });
  return out;
}

std::string redacted(std::string_view line,
                     const std::vector<std::string>& secrets) {
  std::string out(line);
  for (auto& secret : secrets) {
    if (secret.empty())
      continue;
    for (size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + secret_mask.size()))
      out.replace(at, secret.size(), secret_mask);
  }
  return out;
}

} // namespace tmx

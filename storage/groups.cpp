// The device groups: one record per group, keyed by its name, written on
// their own (a group changes no task).
#include "storage/engine.hpp"

#include "storage/check.hpp"
#include "storage/codec.hpp"

#include <algorithm>

namespace tmx {

using engine::cf;

store_errc store::put_group(const device_group& g) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Put(impl_->handle(cf::groups), g.name, codec::encode(g));
  return impl_->write(batch);
}

store_errc store::erase_group(const std::string& name) {
  if (auto e = impl_->writable(); e != store_errc::ok)
    return e;
  std::string bytes;
  if (auto e = impl_->read(cf::groups, name, bytes); e != store_errc::ok)
    return e;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->handle(cf::groups), name);
  return impl_->write(batch);
}

store_errc store::groups(std::vector<device_group>& out) const {
  out.clear();
  auto bad = store_errc::ok;
  auto walked = impl_->for_each_entry(
    cf::groups, [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      device_group g;
      if (!codec::decode(value.ToStringView(), g))
        return (bad = store_errc::corrupt) == store_errc::ok;
      g.name = key.ToString();
      out.push_back(std::move(g));
      return true;
    });
  return bad != store_errc::ok ? bad : walked;
}

store_errc store::impl::check_groups(check_state& st) const {
  return for_each_entry(cf::groups, [&](const auto& key, const auto& value) {
    device_group g;
    if (codec::decode(value.ToStringView(), g))
      return true;
    // A report is one line: a name with control bytes is shown in hex.
    auto name = key.ToStringView();
    bool plain = std::none_of(name.begin(), name.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    st.report(
      "device group "
      + (plain ? "'" + std::string(name) + "'" : "0x" + engine::hex(name))
      + ": the record cannot be decoded");
    return true;
  });
}

} // namespace tmx

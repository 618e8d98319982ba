// Device groups: named sets of serials that a create can name instead of
// the serials themselves. The record, and the registry the task manager
// consults to fan a create out and to tell each device its groups. Plain
// data and lookups; the store keeps the durable copy.
#pragma once

#include "model/error.hpp"
#include "model/task.hpp"

#include <map>
#include <string>
#include <vector>

namespace tmx {

struct device_group {
  std::string name;                 // exactly as given, the key
  std::vector<std::string> serials; // in the order given, each once
  millis created_at = 0;            // of the first create (a replace keeps it)
};

class group_registry {
public:
  void put(device_group g) { groups_[g.name] = std::move(g); }
  void erase(const std::string& name) { groups_.erase(name); }

  /// nullptr when unknown.
  const device_group* find(const std::string& name) const;

  /// Ordered by name (byte order).
  std::vector<device_group> all() const;

  /// The names of the groups that hold `serial`, ordered by name.
  std::vector<std::string> of(const std::string& serial) const;

  /// The serials of the groups `names` of a create in group mode: the
  /// groups in the order given, each group's serials in its order, a
  /// serial that several groups hold once, at its first place. 40001
  /// naming the first unknown or empty group (`out` unspecified then).
  api_error serials_of(const std::vector<std::string>& names,
                       std::vector<std::string>& out) const;

private:
  std::map<std::string, device_group> groups_;
};

} // namespace tmx

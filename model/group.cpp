// The group lookups and the serials of a create in group mode (see
// group.hpp).
#include "model/group.hpp"

#include <algorithm>
#include <unordered_set>

namespace tmx {

const device_group* group_registry::find(const std::string& name) const {
  auto i = groups_.find(name);
  return i == groups_.end() ? nullptr : &i->second;
}

std::vector<device_group> group_registry::all() const {
  std::vector<device_group> out;
  for (auto& [name, g] : groups_)
    out.push_back(g);
  return out;
}

std::vector<std::string> group_registry::of(const std::string& serial) const {
  std::vector<std::string> out;
  for (auto& [name, g] : groups_)
    if (std::find(g.serials.begin(), g.serials.end(), serial)
        != g.serials.end())
      out.push_back(name);
  return out;
}

api_error group_registry::serials_of(const std::vector<std::string>& names,
                                     std::vector<std::string>& out) const {
  out.clear();
  std::unordered_set<std::string> seen;
  for (auto& name : names) {
    auto* g = find(name);
    if (g == nullptr)
      return invalid("groups: unknown group '" + name + "'");
    // The API stores no empty group; an empty one would make no tasks.
    if (g->serials.empty())
      return invalid("groups: group '" + name + "' has no serials");
    for (auto& serial : g->serials)
      if (seen.insert(serial).second)
        out.push_back(serial);
  }
  return {};
}

} // namespace tmx

// The account lookups (see account_registry.hpp).
#include "model/account_registry.hpp"

namespace tmx {

const account* account_registry::find(const std::string& username) const {
  auto i = accounts_.find(username);
  return i == accounts_.end() ? nullptr : &i->second;
}

std::vector<std::string>
account_registry::enabled_on(const std::string& serial) const {
  std::vector<std::string> out;
  for (auto& [name, a] : accounts_)
    if (a.serial == serial && a.enabled)
      out.push_back(name);
  return out;
}

std::vector<std::string>
account_registry::on_device(const std::string& serial) const {
  std::vector<std::string> out;
  for (auto& [name, a] : accounts_)
    if (a.serial == serial)
      out.push_back(name);
  return out;
}

std::vector<account>
account_registry::found(const std::string& serial,
                        const std::vector<std::string>& usernames) const {
  std::vector<account> out;
  for (auto& name : usernames)
    if (accounts_.count(name) == 0)
      out.push_back(account{name, serial, "tiktok", true});
  return out;
}

std::vector<account> account_registry::all() const {
  std::vector<account> out;
  for (auto& [name, a] : accounts_)
    out.push_back(a);
  return out;
}

} // namespace tmx

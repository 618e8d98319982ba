// The accounts a task can run as, by username: what the manager consults to
// fan a create out and what GET /api/v1/account lists. Plain data and
// lookups; the store keeps the durable copy.
#pragma once

#include "model/account.hpp"

#include <map>
#include <string>
#include <vector>

namespace tmx {

class account_registry {
public:
  void put(account a) { accounts_[a.username] = std::move(a); }
  void erase(const std::string& username) { accounts_.erase(username); }

  /// nullptr when unknown.
  const account* find(const std::string& username) const;

  /// The enabled accounts on `serial`, ordered by username.
  std::vector<std::string> enabled_on(const std::string& serial) const;

  /// Every account on `serial`, ordered by username.
  std::vector<std::string> on_device(const std::string& serial) const;

  /// Of the usernames a host found on `serial`, the ones not registered
  /// yet, as new accounts with the defaults (a host never overrides what
  /// an operator set).
  std::vector<account> found(const std::string& serial,
                             const std::vector<std::string>& usernames) const;

  /// Ordered by username.
  std::vector<account> all() const;

private:
  std::map<std::string, account> accounts_;
};

} // namespace tmx

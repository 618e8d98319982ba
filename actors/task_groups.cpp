// The task manager's device groups (see task_manager_ops.hpp): stored
// first, then taken over in memory, where creates in group mode read them
// and from where each device learns the groups that hold it.
#include "actors/task_manager_ops.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <set>

namespace tmx::manager {

namespace {

/// Serials that no device host has ever shown are no devices.
std::string unknown_devices(const std::vector<std::string>& serials) {
  constexpr size_t named = 10;
  std::string out = serials.size() == 1 ? "serials: unknown device "
                                        : "serials: unknown devices ";
  for (size_t i = 0; i < serials.size() && i < named; ++i)
    out += (i > 0 ? ", '" : "'") + serials[i] + "'";
  if (serials.size() > named)
    out += ", ... (" + std::to_string(serials.size()) + " in all)";
  return out;
}

} // namespace

void put_group(manager_ptr self, device_group g,
               caf::typed_response_promise<device_group> rp) {
  auto& st = self->state;
  std::vector<std::string> unknown;
  for (auto& serial : g.serials)
    if (st.devices.count(serial) == 0)
      unknown.push_back(serial);
  if (!unknown.empty()) {
    rp.deliver(make_error(ec::invalid_params, unknown_devices(unknown)));
    return;
  }
  // A replace changes the members; the group was created when it was.
  auto* before = st.groups.find(g.name);
  g.created_at = before != nullptr ? before->created_at : st.clock();
  self->request(st.db, request_timeout, group_atom::value, g)
    .then(
      [=](ok_atom) mutable {
        auto& st = self->state;
        auto touched = g.serials;
        if (auto* old = st.groups.find(g.name))
          touched.insert(touched.end(), old->serials.begin(),
                         old->serials.end());
        st.groups.put(g);
        tell_groups(self, touched);
        rp.deliver(std::move(g));
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void erase_group(manager_ptr self, const std::string& name,
                 caf::typed_response_promise<ok_atom> rp) {
  if (self->state.groups.find(name) == nullptr) {
    rp.deliver(make_error(ec::not_found, "no such group"));
    return;
  }
  self
    ->request(self->state.db, request_timeout, group_atom::value,
              erase_atom::value, name)
    .then(
      [=](ok_atom) mutable {
        // Tasks created from the group are tasks of their serials: they
        // stay as they are.
        auto& st = self->state;
        std::vector<std::string> members;
        if (auto* g = st.groups.find(name))
          members = g->serials;
        st.groups.erase(name);
        tell_groups(self, members);
        rp.deliver(ok_atom::value);
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
}

void tell_groups(manager_ptr self, const std::vector<std::string>& serials) {
  auto& st = self->state;
  for (auto& serial : std::set<std::string>(serials.begin(), serials.end()))
    if (auto dev = st.devices.find(serial); dev != st.devices.end())
      self->send(dev->second, group_atom::value, st.groups.of(serial));
}

} // namespace tmx::manager

// What both device hosts do when one of their linked runners ends.
#pragma once

#include "actors/actors.hpp"

#include <caf/system_messages.hpp>

namespace tmx {

/// Forgets the run of the runner that sent `msg`; one that crashed has not
/// reported, and its task must not stay running forever: its device hears
/// "runner died". False when the runner ran none of `runs` (a map of task
/// ids to values with `runner` and `device`).
template <class Self, class Runs>
bool settle_runner_exit(Self* self, Runs& runs, const caf::exit_msg& msg) {
  for (auto i = runs.begin(); i != runs.end(); ++i) {
    if (i->second.runner.address() != msg.source)
      continue;
    if (msg.reason)
      self->send(i->second.device, done_atom::value,
                 run_result{i->first, false, "runner died", {}});
    runs.erase(i);
    return true;
  }
  return false;
}

} // namespace tmx

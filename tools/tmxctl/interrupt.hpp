// Ctrl-C (SIGINT) and SIGTERM for tmxctl's endless commands (watch,
// events): a signal only marks the process interrupted; the command sees
// it within its next wait and ends cleanly, exit code 0.
#pragma once

namespace tmxctl {

/// From now on SIGINT and SIGTERM mark the process interrupted instead of
/// ending it; clears an earlier mark.
void catch_interrupts();

/// Whether SIGINT or SIGTERM came since catch_interrupts().
bool interrupted();

} // namespace tmxctl

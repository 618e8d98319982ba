# tools/crash_test: the crash test of tmx-server (run it as tools/crash-test).
# This file holds the test's description: the load, the invariants checked
# and why each is sound. procs.py: constants, HTTP and process helpers;
# history.py: the record of operations; checks.py: the checker; load.py:
# the client load and the agent; rounds.py: the round loop and main().
"""Crash test of tmx-server, in the spirit of RocksDB's db_crashtest.

  tools/crash-test [--rounds 50] [--seed S] [--round-seconds 4] [--keep]
                   [--keep-going] [--server build/tmx-server]
                   [--agent build/tmx-agent] [--tmxctl build/tmxctl]

Each round runs a mixed load against a real tmx-server: creates with and
without Idempotency-Key (device, username and multi-account mode, some
scheduled, keys resent, a key reused with another body), stops, retries,
single and batch deletes, account registrations, simulated runs that
complete and fail (sim.failure-rate), a tmx-agent that joins and leaves
(SIGTERM or SIGKILL). At a random moment the server gets SIGKILL. Then:
`tmxctl db check` on the killed data dir; in one round of five a restart
killed again while it recovers; the server started on the data dir with no
device host (nothing runs, the state holds still) and the history checked
against what it serves; SIGTERM (exit 0 expected), `db check` again, `db
dump` against the API's listing. The next round goes on with the same data
dir, so the state accumulates.

An operation is acknowledged when its reply (code 0) arrived, in doubt when
it was sent and no complete reply came back (either outcome is allowed, but
one of them, for good); a refused connection or an error code did nothing.
Every state the API showed is stored (tmx writes before it answers), so an
observation binds what is served after it, across kills. "A before B"
means A's reply arrived before B was sent. The invariants, per task, with
r = retry_count (the run's generation: the server runs with
retry.max-auto=0, so only a retry request raises it):
- an acknowledged create's ids exist, and a task once seen stays, unless a
  delete was sent for it that can have happened (not one that a later
  sighting disproves); a task seen gone (404, acknowledged delete) never
  comes back; ids of a later create are higher; a task keeps its serial,
  account, script and config;
- one create, one set of tasks: all the tasks bearing a create's token are
  in its acknowledged reply (so an Idempotency-Key resent never creates
  twice, and every reply to one key names the same ids); a create in doubt
  left all its tasks or none; a refused create (key reused with another
  body included) left none;
- r never goes down; r is never above the retry requests sent before;
- generation r runs at most once: all `running` observations of r share one
  started_at, all terminal observations of r are identical (status,
  started_at, finished_at, remark), nothing seen after a terminal state of
  r (an acknowledged stop's reply included) is pending or running with the
  same r, nothing seen after `running` in r is pending in r, and a task
  shows at most r + 1 distinct started_at. A run cut by a kill is failed
  "interrupted by server restart" and never re-run: it is r's one run, so
  no allowance per crash is needed. (The log keeps only the last run, so
  counting its start lines could not show a second run.)
- with no device host after the restart, no task is running; stats equal a
  recount of the full listing; the log holds one run (one start line, at
  started_at; its last line at finished_at saying "completed" / "failed:
  <remark>"); an acknowledged account exists;
- `tmxctl db check` is clean on the killed and on the cleanly stopped data
  dir, and `tmxctl db dump` shows what the API listed; tmx-server and
  tmx-agent exit 0 on SIGTERM.

Exit status 0: no violation; 1: violations (the work dir is kept); 2: setup
error. Standard library only.
"""

from .rounds import main  # after the docstring: rounds.py reads it

__all__ = ["main"]

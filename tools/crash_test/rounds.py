# tools/crash_test/rounds.py: the round loop (CrashTest: start the server,
# run the load, SIGKILL, restart, check what is served and stored) and
# main(), the command line.

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time

from . import __doc__ as DOC
from .checks import check_log
from .history import History
from .load import AgentDriver, Load
from .procs import (AGENT, INTERRUPTED, LOCAL_SERIALS, RUNNING, SECRET,
                    STATUS, Process, SetupError, call, free_port,
                    list_all, node_state, wait_until)


class CrashTest:
    def __init__(self, args, seed, work):
        self.args, self.work = args, work
        self.rng = random.Random(seed)
        self.h = History(seed)
        self.data = os.path.join(work, "data")
        self.port = free_port()
        self.cluster_port = free_port({self.port})
        self.server = None
        self.agent = None
        self.interrupted = 0

    # -- programs -------------------------------------------------------------

    def start_server(self, devices, duration, banner, wait=True):
        argv = [self.args.server, "--http.address=127.0.0.1",
                "--http.port=%d" % self.port, "--storage.path=" + self.data,
                "--sim.devices=%d" % devices,
                "--sim.task-duration=" + duration,
                "--sim.failure-rate=0.3", "--retry.max-auto=0",
                "--tmx.timezone=UTC", "--cluster.address=127.0.0.1",
                "--cluster.port=%d" % self.cluster_port,
                "--cluster.secret=" + SECRET]
        if self.args.sync:
            argv.append("--storage.sync")
        self.server = Process(argv, self.work,
                              os.path.join(self.work, "server.log"))
        self.server.start(banner)
        def up():
            return not self.server.running() or call(
                self.port, "GET", "/api/v1/license/check",
                timeout=1.0).kind in ("ok", "error")
        return not wait or (wait_until(up, 30) and self.server.running())

    def agent_argv(self, rng):
        return [self.args.agent, "--cluster.address=127.0.0.1",
                "--cluster.port=%d" % self.cluster_port,
                "--cluster.secret=" + SECRET, "--node.name=" + AGENT,
                "--sim.devices=3", "--sim.failure-rate=0.3",
                "--sim.task-duration=" + rng.choice(["200ms", "500ms", "1s"])]

    def tmxctl(self, *words):
        env = dict(os.environ, TZ="UTC", NO_COLOR="1")
        return subprocess.run([self.args.tmxctl, *words, "--data", self.data],
                              env=env, capture_output=True, text=True,
                              timeout=120)

    def db_check(self, when):
        r = self.tmxctl("db", "check")
        if r.returncode != 0:
            self.h.violate(("db-check", self.h.round, when), "tmxctl db check "
                           "%s: exit %d: %s" % (when, r.returncode, (
                               r.stdout + r.stderr).strip()[-2000:]))

    def log_tail(self):
        with open(os.path.join(self.work, "server.log"), "rb") as f:
            return f.read()[-3000:].decode("utf-8", "replace")

    # -- one round ------------------------------------------------------------

    def round(self, n):
        h, rng = self.h, self.rng
        h.round, h.acked, h.doubt, h.odd = n, 0, 0, []
        began = time.monotonic()
        duration = rng.choice(["100ms", "200ms", "300ms", "500ms", "800ms"])
        if not self.start_server(8, duration, "round %d: load" % n):
            if n == 1:
                raise SetupError("tmx-server did not start:\n"
                                 + self.log_tail())
            h.violate(("start", n), "tmx-server did not start on the data dir "
                      "of round %d:\n%s" % (n - 1, self.log_tail()))
            return None
        local = lambda: len((node_state(self.port, "local") or {}).get(
            "devices", [])) == len(LOCAL_SERIALS)
        if not wait_until(local, 20):
            if n == 1:
                raise SetupError("the server's simulated devices did not come "
                                 "up")
            h.violate(("devices", n), "the server's simulated devices did not "
                      "come up on the data dir of round %d" % (n - 1))
            return None
        stop = threading.Event()
        load = Load(h, self.port, rng.randrange(1 << 62), stop)
        self.agent = AgentDriver(self, random.Random(rng.randrange(1 << 62)),
                                 stop)
        kill_at = rng.uniform(0.1, self.args.round_seconds)
        load.start()
        self.agent.start()
        time.sleep(kill_at)  # the random moment of the kill
        if not self.server.running():
            h.violate(("died", n), "tmx-server ended by itself during the "
                      "load (status %s):\n%s" % (self.server.proc.returncode,
                                                 self.log_tail()))
        self.server.kill()
        stop.set()
        if not load.join(60):
            raise SetupError("the load threads did not end after the kill")
        if load.errors:
            raise SetupError("a load thread failed:\n" + load.errors[0])
        self.agent.finish()
        killed = os.path.join(self.work, "killed-data")
        shutil.rmtree(killed, ignore_errors=True)
        shutil.copytree(self.data, killed)  # the evidence, as the kill left it
        self.db_check("after SIGKILL")
        self.recovery_kill = None
        if rng.random() < 0.2:
            # A crash while the restart recovers (fails the interrupted runs).
            self.recovery_kill = rng.uniform(0, 0.3)
            self.start_server(0, duration, "round %d: killed in recovery" % n,
                              wait=False)
            time.sleep(self.recovery_kill)  # a random moment
            self.server.kill()
            self.db_check("after SIGKILL in recovery")

        if not self.start_server(0, duration, "round %d: check" % n):
            h.violate(("restart", n), "tmx-server did not restart after the "
                      "kill:\n" + self.log_tail())
            return None
        listed = self.check_served()
        rc = self.server.terminate(30)
        if rc != 0:
            h.violate(("sigterm", n), "tmx-server exited %s on SIGTERM" % rc)
        self.db_check("after SIGTERM")
        if listed is not None:
            self.check_dump(listed)
        h.check_tasks()
        h.check_creates()
        h.check_ids_increase()
        h.total_acked += h.acked
        violations = sum(1 for r, _ in h.violations if r == n)
        odd = ""
        if h.odd:
            kinds = {}
            for o in h.odd:
                kinds[o] = kinds.get(o, 0) + 1
            odd = ", odd replies " + ", ".join(
                "%s x%d" % kv for kv in sorted(kinds.items()))
        print("round %d/%d: %d acknowledged, %d in doubt, killed at %.2f s, "
              "%s%d tasks (%d runs interrupted), agent [%s]%s, %d violations"
              " (%.1f s)"
              % (n, self.args.rounds, h.acked, h.doubt, kill_at,
                 "" if self.recovery_kill is None else
                 "and at %.2f s of the restart, " % self.recovery_kill,
                  len(listed or ()), self.interrupted, " ".join(
                      self.agent.events) or "-", odd, violations,
                  time.monotonic() - began), flush=True)
        return violations

    # -- the checks against the restarted server ------------------------------

    def check_served(self):
        """With no device host nothing moves: what the server serves now is
        what it stored. Returns the listed tasks by id."""
        h, port = self.h, self.port
        acked = [c for c in h.keyed if c.acked_ids]
        load = Load(h, port, 0, threading.Event(), workers=0)
        for c in [c for c in h.keyed if c.outcomes[-1:] == ["doubt"]] + \
                self.rng.sample(acked, min(5, len(acked))):
            load.send_create(c)  # same key, same body: at most one create
        pages = list_all(port)
        if pages is None:
            h.violate(("list", h.round), "GET /api/v1/task failed after the "
                      "restart")
            return None
        tasks = [t for page in pages for t in page[2]]
        ids = [t["id"] for t in tasks]
        with h.lock:
            for sent, recv, page, _ in pages:
                for t in page:
                    h.saw_task(sent, recv, t)
        if ids != sorted(set(ids), reverse=True):
            h.violate(("order", h.round), "the listing is not one entry per "
                      "task, newest first")
        if pages[0][3] != len(tasks):
            h.violate(("total", h.round), "the listing says total %d but "
                      "lists %d tasks" % (pages[0][3], len(tasks)))
        listed = {t["id"]: t for t in tasks}
        self.interrupted = 0
        for t in tasks:
            if t["remark"] == INTERRUPTED and (t["id"], t["retry_count"]) \
                    not in h.interrupted:
                h.interrupted.add((t["id"], t["retry_count"]))
                self.interrupted += 1
        known = (set(h.acked_create) | set(h.ident)) - set(listed) \
            - h.absent_for_good
        for tid in sorted(known):
            r = call(port, "GET", "/api/v1/task/%d" % tid)
            with h.lock:
                if r.kind == "ok":
                    h.saw_task(r.sent, r.recv, r.data)
                    h.violate(("unlisted", tid), "task %d exists but is not "
                              "in the listing" % tid)
                elif r.code == 40401:
                    h.saw_gone(r.sent, r.recv, tid, None)
                    h.absent_for_good.add(tid)
        self.check_stats(tasks)
        for t in tasks:
            if t["status"] == RUNNING:
                h.violate(("running", t["id"]), "task %d is running after the "
                          "restart with no device host" % t["id"])
            r = call(port, "GET", "/api/v1/task/%d/log" % t["id"])
            if r.kind != "ok":
                h.violate(("log-get", t["id"]), "GET log of task %d: %s" % (
                    t["id"], r.text or r.kind))
                continue
            check_log(h, t, r.data["lines"], True)
        self.check_accounts()
        return listed

    def check_stats(self, tasks):
        h = self.h
        r = call(self.port, "GET", "/api/v1/task/stats")
        if r.kind != "ok":
            h.violate(("stats-get", h.round),
                      "GET stats: " + (r.text or r.kind))
            return
        recount = {"total": len(tasks), "pending": 0, "running": 0,
                   "completed": 0, "failed": 0}
        for t in tasks:
            recount[STATUS[t["status"]]] += 1
        if {k: r.data.get(k) for k in recount} != recount:
            h.violate(("stats", h.round), "stats %s, a recount of the listing "
                      "gives %s" % (r.data, recount))

    def check_accounts(self):
        h = self.h
        served = {}
        for page in range(1, 100000):
            r = call(self.port, "GET",
                     "/api/v1/account?page_size=100&page=%d" % page)
            if r.kind != "ok":
                h.violate(("accounts", h.round), "GET account: " + r.text)
                return
            for a in r.data["accounts"]:
                served[a["username"]] = (a["serial"], a["platform"],
                                         a["enabled"])
            if len(r.data["accounts"]) < 100:
                break
        for username, (serial, platform, enabled, kind) in h.accounts.items():
            if kind == "gone" and username in served:
                h.violate(("account", username), "account %s is back after "
                          "its delete was acknowledged" % username)
            if kind == "ok" and served.get(username) != (serial, platform,
                                                         enabled):
                h.violate(("account", username), "acknowledged account %s "
                          "(%s, %s, %s) is served as %s" % (
                              username, serial, platform, enabled,
                              served.get(username)))

    def check_dump(self, listed):
        """The store, read by tmxctl after the clean stop, is what the API
        listed just before it."""
        h = self.h
        r = self.tmxctl("db", "dump")
        if r.returncode != 0:
            h.violate(("dump", h.round), "tmxctl db dump: exit %d: %s" % (
                r.returncode, r.stderr.strip()[-2000:]))
            return
        dumped = {}
        for line in r.stdout.splitlines():
            t = json.loads(line)
            dumped[t["id"]] = t
        fields = ("serial", "username", "script_name", "script_config",
                  "status", "retry_count", "started_at", "finished_at",
                  "remark")
        diff = sorted(set(dumped) ^ set(listed))
        diff += sorted(i for i in set(dumped) & set(listed) if any(
            dumped[i][f] != listed[i][f] for f in fields))
        if diff:
            i = diff[0]
            h.violate(("dump-diff", h.round), "db dump and the API differ on "
                      "%d tasks, e.g. %d: store %s, API %s" % (
                          len(diff), i, dumped.get(i), listed.get(i)))

    def stop_all(self):
        for p in (self.agent.proc if self.agent else None, self.server):
            if p is not None:
                p.kill()


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.join(os.path.dirname(here), "build")
    ap = argparse.ArgumentParser(description=DOC.split("\n\n")[0])
    ap.add_argument("--server", default=os.path.join(build, "tmx-server"))
    ap.add_argument("--agent", default=os.path.join(build, "tmx-agent"))
    ap.add_argument("--tmxctl", default=os.path.join(build, "tmxctl"))
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--round-seconds", type=float, default=4.0,
                    help="most load time before the kill (the kill moment is "
                    "random within it)")
    ap.add_argument("--sync", action="store_true",
                    help="the server with storage.sync (group commit: every "
                    "acknowledgement after its fsync)")
    ap.add_argument("--keep-going", action="store_true",
                    help="go on after a round with violations (by default "
                    "the test stops there, leaving its evidence)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work dir on any failure (it is always "
                    "kept on a violation)")
    args = ap.parse_args()
    if args.rounds < 1 or args.round_seconds <= 0.1:
        ap.error("--rounds must be >= 1 and --round-seconds > 0.1")
    args.server, args.agent, args.tmxctl = (os.path.abspath(b) for b in (
        args.server, args.agent, args.tmxctl))
    for b in (args.server, args.agent, args.tmxctl):
        if not os.access(b, os.X_OK):
            print("crash-test: setup error: no executable %s" % b, flush=True)
            return 2
    seed = args.seed if args.seed is not None else \
        random.SystemRandom().randrange(1 << 32)
    work = tempfile.mkdtemp(prefix="tmx-crash-")
    print("crash-test: seed %d, %d rounds, kill within %.1f s, work dir %s "
          "(replay: --seed %d)" % (seed, args.rounds, args.round_seconds,
                                   work, seed), flush=True)
    test = CrashTest(args, seed, work)
    started = time.monotonic()
    status, rounds = 0, 0
    try:
        for n in range(1, args.rounds + 1):
            violations = test.round(n)
            rounds = n
            if violations is None or (violations and not args.keep_going):
                break  # keep the evidence of this round
    except (SetupError, OSError) as e:
        print("crash-test: setup error: %s" % e, flush=True)
        status = 2
    except KeyboardInterrupt:
        print("crash-test: interrupted", flush=True)
        status = 2
    finally:
        test.stop_all()
    v = len(test.h.violations)
    if v:
        status = 1
    print("%d rounds, %d violations, %d acknowledged operations checked" % (
        rounds, v, test.h.total_acked), flush=True)
    print("crash-test: %.1f s, seed %d" % (time.monotonic() - started, seed),
          flush=True)
    if status == 1 or (status and args.keep):
        print("crash-test: work dir kept: %s (data/, killed-data/ as the last "
              "kill left it, server.log, agent.log)" % work, flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return status

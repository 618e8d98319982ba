# tools/crash_test/load.py: the client load of one round (Load: worker
# threads sending a random mix of operations, and a watcher listing the
# tasks) and the tmx-agent that joins and leaves meanwhile (AgentDriver).

import datetime
import json
import os
import random
import threading
import time
import traceback

from .checks import check_log
from .history import Create
from .procs import (AGENT, FAILED, LOCAL_SERIALS, MAX_LIVE, PENDING, RUNNING,
                    TERMINAL, Process, SetupError, body_bytes, call, list_all,
                    node_state, wait_until)


OPS = [("create", 30), ("create_keyed", 12), ("resend", 6), ("conflict", 2),
       ("stop", 12), ("retry", 12), ("delete", 5), ("batch_delete", 5),
       ("look", 8), ("account", 3)]


class Load:
    """The client threads and the watcher of one round."""

    def __init__(self, h, port, seed, stop, workers=6):
        self.h, self.port, self.halt = h, port, stop
        self.errors = []
        rng = random.Random(seed)
        self.threads = [threading.Thread(target=self.worker, args=(
            random.Random(rng.randrange(1 << 62)),), daemon=True)
            for _ in range(workers)]
        self.threads.append(threading.Thread(target=self.watcher, daemon=True))

    def start(self):
        for t in self.threads:
            t.start()

    def join(self, deadline):
        end = time.monotonic() + deadline
        for t in self.threads:
            t.join(max(0, end - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)

    # -- workers --------------------------------------------------------------

    def worker(self, rng):
        names, weights = zip(*OPS)
        try:
            while not self.halt.is_set():
                getattr(self, rng.choices(names, weights)[0])(rng)
                self.halt.wait(rng.uniform(0, 0.01))  # pacing, not a wait
        except Exception:  # a bug of the test: the round cannot be trusted
            self.errors.append(traceback.format_exc())
            self.halt.set()

    def pick(self, rng, n=1, statuses=None):
        with self.h.lock:
            ids = [i for i, s in self.h.live.items()
                   if statuses is None or s in statuses]
        return rng.sample(ids, min(n, len(ids)))

    def send_create(self, c):
        headers = {"Idempotency-Key": c.key} if c.key else None
        r = call(self.port, "POST", "/api/v1/task", c.body, headers)
        self.h.created(c, r)
        return r

    def new_create(self, rng, keyed):
        h = self.h
        with h.lock:
            crowded = len(h.live) > MAX_LIVE
            serials = LOCAL_SERIALS + h.agent_serials
            users = list(h.usernames)
        if crowded:
            return self.batch_delete(rng, many=True)
        tok = h.new_token()
        script = rng.choice(["post", "post", "follow", "account_warmup"])
        targets = 1
        if script == "post":
            config = {"captions": "tok-%d-" % tok}
        elif script == "follow":
            targets = rng.choice([1, 2])
            config = {"target_users": ["@tok-%d-%d" % (tok, i)
                                       for i in range(targets)]}
        else:
            config = {"topic": "tok-%d-" % tok}
        mode = rng.choices(["device", "username", "multi"], [5, 3, 1])[0]
        if mode == "username":
            chosen = rng.sample(users, rng.randint(1, 2))
            body, fanout = {"usernames": chosen}, len(chosen) * targets
        else:
            chosen = rng.sample(serials, rng.randint(1, 3))
            body, fanout = {"serials": chosen}, len(chosen) * targets
            if mode == "multi":
                body["enable_multi_account"], fanout = True, None
        body["script_name"], body["script_config"] = script, config
        if rng.random() < 0.1:
            at = datetime.datetime.now(datetime.timezone.utc) + \
                datetime.timedelta(seconds=rng.uniform(0.5, 4))
            body["start_time"] = at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        key = "crash-%d-%d" % (h.seed, tok) if keyed else None
        c = Create(tok, body_bytes(body), key, fanout)
        with h.lock:
            h.creates[tok] = c
            if keyed:
                h.keyed.append(c)
        r = self.send_create(c)
        if keyed and r.kind == "ok" and rng.random() < 0.3:
            self.send_create(c)  # at once: the first reply, nothing new

    def create(self, rng):
        self.new_create(rng, False)

    def create_keyed(self, rng):
        self.new_create(rng, True)

    def resend(self, rng):
        with self.h.lock:
            keyed = list(self.h.keyed)
        if keyed:
            self.send_create(rng.choice(keyed))

    def conflict(self, rng):
        """A used key with another body: 40901, and nothing created."""
        h = self.h
        with h.lock:
            done = [c for c in h.keyed if c.acked_ids]
        if not done:
            return
        old = rng.choice(done)
        tok = h.new_token()
        body = json.loads(old.body)
        body["script_name"] = "post"
        body["script_config"] = {"captions": "tok-%d-" % tok}
        c = Create(tok, body_bytes(body), old.key, None)
        with h.lock:
            h.creates[tok] = c
        r = self.send_create(c)
        if r.kind == "ok":
            with h.lock:
                h.violate(("conflict", tok), "Idempotency-Key %s reused with "
                          "another body was accepted: %s" % (old.key, r.text))

    def stop(self, rng):
        ids = self.pick(rng, 1, (PENDING, RUNNING)) if rng.random() < 0.85 \
            else self.pick(rng)
        for tid in ids:
            r = call(self.port, "POST", "/api/v1/task/%d/stop" % tid)
            self.h.stopped(tid, r)

    def retry(self, rng):
        for tid in self.pick(rng, 1, (FAILED,)):
            r = call(self.port, "POST", "/api/v1/task/%d/retry" % tid)
            self.h.retried(tid, r)

    def delete(self, rng):
        for tid in self.pick(rng):
            op = self.h.new_op()
            r = call(self.port, "DELETE", "/api/v1/task/%d" % tid)
            self.h.deleted([tid], op, r, False)

    def batch_delete(self, rng, many=False):
        n = rng.randint(20, 60) if many else rng.randint(1, 20)
        ids = self.pick(rng, n, TERMINAL) if rng.random() < 0.7 else []
        ids += self.pick(rng, max(1, n - len(ids)))
        if rng.random() < 0.1:
            ids.append(900000000 + rng.randrange(1000))  # never existed
        ids = sorted(set(ids))
        if not ids:
            return
        op = self.h.new_op()
        r = call(self.port, "DELETE", "/api/v1/task/batch",
                 body_bytes({"task_ids": ids}))
        self.h.deleted(ids, op, r, True)

    def look(self, rng):
        h = self.h
        for tid in self.pick(rng):
            r = call(self.port, "GET", "/api/v1/task/%d" % tid)
            log = call(self.port, "GET", "/api/v1/task/%d/log" % tid)
            with h.lock:
                if r.kind == "ok":
                    h.saw_task(r.sent, r.recv, r.data)
                elif r.code == 40401:
                    h.saw_gone(r.sent, r.recv, tid, None)
                if log.kind == "ok" and r.kind == "ok":
                    check_log(h, r.data, log.data["lines"], False)

    def account(self, rng):
        """Registers a new account, or deletes one when there are many (so
        that multi-account creates stay small)."""
        h = self.h
        with h.lock:
            serials = LOCAL_SERIALS + h.agent_serials
            there = [u for u, a in h.accounts.items()
                     if a[3] in ("ok", "doubt")]
        if len(there) > 24:
            username = rng.choice(there)
            with h.lock:
                a = h.accounts[username]
                if a[3] not in ("ok", "doubt"):
                    return  # another worker deletes it
                before, a[3] = a[3], "gone?"
                if username in h.usernames:
                    h.usernames.remove(username)
            r = call(self.port, "DELETE", "/api/v1/account/" + username)
            with h.lock:
                h.count(r, "account delete")
                if r.kind == "ok" or r.code == 40401:
                    if r.code == 40401 and before == "ok":
                        h.violate(("account", username), "acknowledged "
                                  "account %s is not found" % username)
                    a[3] = "gone"
                elif r.kind in ("refused", "error"):
                    a[3] = before
            return
        username = "crash-%d" % h.new_token()
        serial = rng.choice(serials)
        platform = rng.choice(["tiktok", "instagram"])
        enabled = rng.random() < 0.8
        r = call(self.port, "POST", "/api/v1/account", body_bytes({
            "username": username, "serial": serial, "platform": platform,
            "enabled": enabled}))
        with h.lock:
            h.count(r, "account")
            if r.kind in ("ok", "doubt"):
                h.accounts[username] = [serial, platform, enabled, r.kind]
            if r.kind == "ok" and enabled:
                h.usernames.append(username)

    # -- the watcher ----------------------------------------------------------

    def watcher(self):
        try:
            for n in range(1 << 62):
                if self.halt.is_set():
                    return
                for sent, recv, tasks, _ in list_all(self.port) or []:
                    with self.h.lock:
                        for t in tasks:
                            self.h.saw_task(sent, recv, t)
                if n % 10 == 0:
                    self.learn_devices()
                self.halt.wait(0.05)
        except Exception:
            self.errors.append(traceback.format_exc())
            self.halt.set()

    def learn_devices(self):
        r = call(self.port, "GET", "/api/v1/device")
        if r.kind != "ok":
            return
        h = self.h
        with h.lock:
            for d in r.data["devices"]:
                serial = d["serial"]
                if serial.startswith(AGENT + "-") and \
                        serial not in h.agent_serials:
                    h.agent_serials.append(serial)
                    h.usernames += [serial + "-a", serial + "-b"]


class AgentDriver(threading.Thread):
    """Starts a tmx-agent and stops it (SIGTERM or SIGKILL) at random
    moments while the round's load runs."""

    def __init__(self, test, rng, stop):
        super().__init__(daemon=True)
        self.test, self.rng, self.stop = test, rng, stop
        self.proc = Process(test.agent_argv(rng), test.work,
                            os.path.join(test.work, "agent.log"))
        self.events, self.errors = [], []

    def run(self):
        try:
            self.drive()
        except Exception:  # a bug of the test
            self.errors.append(traceback.format_exc())

    def drive(self):
        t, rng = self.test, self.rng
        while not self.stop.is_set():
            if not self.proc.running():
                if self.proc.proc is not None:  # it ended by itself
                    rc = self.proc.kill()
                    self.events.append("exit %s" % rc)
                    with t.h.lock:
                        t.h.violate(("agent-exit", t.h.round), "tmx-agent "
                                    "exited by itself (status %s); see "
                                    "agent.log" % rc)
                if self.stop.wait(rng.uniform(0.05, 1.0)):
                    return
                # Its node name must be free again: the last one has gone.
                if not wait_until(lambda: (node_state(t.port, AGENT) or {})
                                  .get("state") != "online", 10):
                    self.events.append("old node still online")
                    return
                if self.stop.is_set():
                    return
                self.proc.start("round %d: agent" % t.h.round)
                self.events.append("join")
            else:
                if self.stop.wait(rng.uniform(0.3, 2.5)):
                    return
                if rng.random() < 0.5:
                    self.proc.kill()
                    self.events.append("SIGKILL")
                else:
                    rc = self.proc.terminate(15)
                    self.events.append("SIGTERM:%s" % rc)
                    with t.h.lock:
                        self.check_exit(rc, "with the server up")

    def finish(self):
        """After the server's kill: the agent, if it runs, sees the server
        go, then ends by SIGKILL or SIGTERM."""
        self.join(30)
        if self.errors:
            raise SetupError("the agent driver failed:\n" + self.errors[0])
        if not self.proc.running():
            if self.proc.proc is not None:  # it ended by itself
                rc = self.proc.kill()
                self.events.append("exit %s" % rc)
                self.test.h.violate(("agent-exit", self.test.h.round),
                                    "tmx-agent exited by itself (status %s); "
                                    "see agent.log" % rc)
            return
        if self.rng.random() < 0.5:
            self.proc.kill()
            self.events.append("SIGKILL after the server")
            return
        time.sleep(self.rng.uniform(0, 0.5))  # a random moment, not a wait
        rc = self.proc.terminate(15)
        self.events.append("SIGTERM:%s after the server" % rc)
        self.check_exit(rc, "after the server was killed")

    def check_exit(self, rc, when):
        """A SIGTERM ends an agent within 15 s with status 0 (1 means it
        was refused by the server)."""
        if rc != 0:
            h = self.test.h
            h.violate(("agent-term", h.round), "tmx-agent got SIGTERM %s and "
                      "%s" % (when, "did not exit within 15 s" if rc is None
                              else "exited with status %d" % rc))

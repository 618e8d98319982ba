# tools/crash_test/history.py: the operation history. Create is one create
# body and its sends; History records every operation the load sent and
# every state it saw (its end-of-round checks are in checks.py).

import json
import threading

from .checks import Checks
from .procs import (INF, LOCAL_SERIALS, PENDING, PRESENT, STATUS, TERMINAL,
                    TOKEN)


class Create:
    """One create body (its token is in its script_config) and its sends."""
    __slots__ = ("token", "body", "key", "fanout", "acked_ids", "first_sent",
                 "first_ack", "outcomes")

    def __init__(self, token, body, key, fanout):
        self.token, self.body, self.key, self.fanout = token, body, key, fanout
        self.acked_ids, self.outcomes = None, []
        self.first_sent = self.first_ack = INF


class History(Checks):
    """Everything the load did and saw; shared by its threads (`lock`)."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.seed = seed
        self.round = 0
        self.obs = {}           # id -> [(sent, recv, state, tag)], this round
        self.summary = {}       # id -> Summary of the earlier rounds
        self.ident = {}         # id -> (serial, username, script, config)
        self.token_ids = {}     # create token -> ids seen bearing it
        self.creates = {}       # token -> Create
        self.keyed = []         # the Creates with an Idempotency-Key
        self.acked_create = {}  # id -> (first reply's recv, token)
        self.retries = {}       # id -> [sent] of every retry request sent
        self.deletes = {}       # id -> [(sent, recv, op)] of deletes sent
        self.accounts = {}      # username -> [serial, platform, enabled,
        #                         "ok" | "doubt" | "gone" | "gone?"]
        self.usernames = [s + x for s in LOCAL_SERIALS for x in ("-a", "-b")]
        self.agent_serials = []
        self.live = {}          # id -> last status seen (to choose targets)
        self.absent_for_good = set()
        self.interrupted = set()  # (id, retry_count) failed by a restart
        self.next_token = 0
        self.next_op = 0
        self.acked = self.doubt = self.total_acked = 0
        self.odd = []
        self.violations = []
        self.seen_violations = set()

    def violate(self, key, text):
        """Records a violation once per key; caller holds the lock or is
        the only thread."""
        if key in self.seen_violations:
            return
        self.seen_violations.add(key)
        self.violations.append((self.round, text))
        print("  VIOLATION (round %d): %s" % (self.round, text), flush=True)

    def new_token(self):
        with self.lock:
            self.next_token += 1
            return self.next_token

    def new_op(self):
        with self.lock:
            self.next_op += 1
            return self.next_op

    def count(self, r, what):
        if r.kind == "ok":
            self.acked += 1
        elif r.kind == "doubt":
            self.doubt += 1
            if r.code is not None:
                self.odd.append("%s %s" % (what, r.code))
        elif r.kind == "error" and r.code not in (40401, 40901, 50301):
            self.odd.append("%s %s" % (what, r.code))

    # -- observations (caller holds the lock) --------------------------------

    def saw_task(self, sent, recv, t):
        tid = t["id"]
        config = json.dumps(t["script_config"], sort_keys=True)
        ident = (t["serial"], t["username"], t["script_name"], config)
        first = self.ident.setdefault(tid, ident)
        if first != ident:
            self.violate(("ident", tid), "task %d changed from %r to %r"
                         % (tid, first, ident))
        m = TOKEN.search(config)
        if m:
            token = int(m.group(1))
            self.token_ids.setdefault(token, set()).add(tid)
            made = self.acked_create.get(tid)
            if made and made[1] != token:
                self.violate(("owner", tid), "task %d bears create token %d "
                             "but was acknowledged to create %d"
                             % (tid, token, made[1]))
        state = (t["status"], t["retry_count"], t["started_at"],
                 t["finished_at"], t["remark"])
        self.obs.setdefault(tid, []).append((sent, recv, state, None))
        if tid not in self.absent_for_good:
            self.live[tid] = t["status"]

    def saw_gone(self, sent, recv, tid, tag):
        """tag: "del" (this delete removed it), ("nf", op) (a delete said
        not found), None (a GET, stop or retry said 40401)."""
        self.obs.setdefault(tid, []).append((sent, recv, None, tag))
        self.live.pop(tid, None)

    def saw_present(self, sent, recv, tid):
        self.obs.setdefault(tid, []).append((sent, recv, PRESENT, None))

    # -- operations -----------------------------------------------------------

    def created(self, c, r):
        with self.lock:
            self.count(r, "create")
            c.outcomes.append(r.kind)
            if r.kind != "refused":
                c.first_sent = min(c.first_sent, r.sent)
            if r.kind != "ok":
                return
            ids = r.data["task_ids"]
            if r.data["created_count"] != len(ids):
                self.violate(("count", c.token), "create %d: created_count %s "
                             "but %d ids" % (c.token, r.data["created_count"],
                                             len(ids)))
            if c.fanout is not None and len(ids) != c.fanout:
                self.violate(("fanout", c.token), "create %d made %d tasks, "
                             "expected %d" % (c.token, len(ids), c.fanout))
            if c.acked_ids is None:
                c.acked_ids = ids
            elif ids != c.acked_ids:
                self.violate(("key", c.token), "Idempotency-Key %s: replies "
                             "name %s and %s" % (c.key, c.acked_ids, ids))
            c.first_ack = min(c.first_ack, r.recv)
            for tid in ids:
                made = self.acked_create.get(tid)
                if made and made[1] != c.token:
                    self.violate(("reused", tid), "id %d acknowledged for "
                                 "creates %d and %d" % (tid, made[1], c.token))
                self.acked_create[tid] = (min(r.recv, made[0]) if made
                                          else r.recv, c.token)
                if tid not in self.absent_for_good:
                    self.live.setdefault(tid, PENDING)

    def stopped(self, tid, r):
        with self.lock:
            self.count(r, "stop")
            if r.kind == "ok":
                self.saw_task(r.sent, r.recv, r.data)
                if r.data["status"] not in TERMINAL:
                    self.violate(("stop", tid, r.recv), "acknowledged stop of "
                                 "task %d left it %s" % (tid, STATUS.get(
                                     r.data["status"])))
            elif r.code == 40401:
                self.saw_gone(r.sent, r.recv, tid, None)

    def retried(self, tid, r):
        with self.lock:
            self.count(r, "retry")
            if r.kind != "refused":
                self.retries.setdefault(tid, []).append(r.sent)
            if r.kind == "ok":
                self.saw_task(r.sent, r.recv, r.data)
            elif r.code == 40401:
                self.saw_gone(r.sent, r.recv, tid, None)

    def deleted(self, ids, op, r, batch):
        with self.lock:
            self.count(r, "delete")
            if r.kind == "refused":
                return
            for tid in ids:
                self.deletes.setdefault(tid, []).append((r.sent, r.recv, op))
            if batch and r.kind == "ok":
                missing = set(r.data["not_found"])
                if r.data["deleted_count"] != len(set(ids) - missing):
                    self.violate(("batch", op), "batch delete of %s: deleted "
                                 "%s, not found %s" % (ids, r.data[
                                     "deleted_count"], sorted(missing)))
            elif r.kind == "ok":
                missing = set()
            elif r.code == 40401:
                missing = set(ids)
            else:
                return
            for tid in ids:
                if tid in missing:
                    self.saw_gone(r.sent, r.recv, tid, ("nf", op))
                else:
                    self.saw_present(r.sent, r.recv, tid)
                    self.saw_gone(r.sent, r.recv, tid, "del")

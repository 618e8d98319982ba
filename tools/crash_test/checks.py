# tools/crash_test/checks.py: the checker. Checks is the part of History
# run at the end of a round (the per-task invariants, the creates, the
# id order); Summary is what earlier rounds established about a task;
# check_log checks a task's log against the task.

import bisect

from .procs import (COMPLETED, FAILED, INF, PENDING, PRESENT, RUNNING,
                    START_LINE, STATUS, STOPPED, TERMINAL)


class Summary:
    """What earlier rounds established about one task."""
    __slots__ = ("max_rc", "absent", "present", "last_present", "runs",
                 "ends", "starts")

    def __init__(self):
        self.max_rc, self.absent, self.present = -1, False, False
        self.last_present = -INF  # when the last request that saw it was sent
        self.runs, self.ends, self.starts = {}, {}, set()


class Checks:
    """The end-of-round checks of History (a mixin: History holds the
    records they read)."""

    # -- checks at the end of a round (one thread) ---------------------------

    def check_tasks(self):
        for tid, obs in self.obs.items():
            s = self.summary.setdefault(tid, Summary())
            self.check_task(tid, obs, s)
        self.obs = {}

    def check_task(self, tid, obs, s):
        obs.sort(key=lambda o: o[1])
        recvs = [o[1] for o in obs]
        first_gone = first_present = INF
        last_present = s.last_present
        first_end, first_run, prefix_rc = {}, {}, []
        top = s.max_rc
        for sent, recv, st, tag in obs:
            if st is None:
                first_gone = min(first_gone, recv)
            else:
                first_present = min(first_present, recv)
                last_present = max(last_present, sent)
                if st is not PRESENT:
                    top = max(top, st[1])
                    if st[0] in TERMINAL:
                        first_end.setdefault(st[1], recv)
                    elif st[0] == RUNNING:
                        first_run.setdefault(st[1], recv)
            prefix_rc.append(top)
        retries = sorted(self.retries.get(tid, ()))
        # A delete can explain an absence if it was sent before, and did
        # not demonstrably fail to happen: it took effect (if at all) before
        # its reply or its server's death, so a later sighting rules it out.
        deletes = [(d, op) for d, d_end, op in self.deletes.get(tid, ())
                   if last_present < d_end]
        made = self.acked_create.get(tid)
        for sent, recv, st, tag in obs:
            # obs[:k] were received before this one was sent: they come first.
            k = bisect.bisect_left(recvs, sent)
            before_rc = prefix_rc[k - 1] if k else s.max_rc
            if st is None:
                if tag == "del":
                    continue
                own = tag[1] if tag else None
                existed = (s.present or first_present < sent
                           or (made is not None and made[0] < sent))
                if existed and not any(d < recv and op != own
                                       for d, op in deletes):
                    self.violate(("lost", tid), "task %d is gone, and no "
                                 "delete sent for it can explain it (%s)" % (
                                     tid, "acknowledged create" if made
                                     else "seen before"))
                continue
            if s.absent or first_gone < sent:
                self.violate(("back", tid), "task %d is back after it was "
                             "seen deleted" % tid)
                continue
            if st is PRESENT:
                continue
            status, rc = st[0], st[1]
            if rc < before_rc:
                self.violate(("rc-down", tid), "task %d: retry_count %d after "
                             "%d was seen (a retry undone)" % (
                                 tid, rc, before_rc))
            sent_retries = bisect.bisect_left(retries, recv)
            if rc > sent_retries:
                self.violate(("rc-up", tid), "task %d: retry_count %d but "
                             "only %d retries were sent" % (
                                 tid, rc, sent_retries))
            if status in (PENDING, RUNNING) and (
                    rc in s.ends or first_end.get(rc, INF) < sent):
                end = s.ends.get(rc) or next(
                    o[2] for o in obs if o[2] not in (None, PRESENT)
                    and o[2][1] == rc and o[2][0] in TERMINAL)
                self.violate(("undone", tid, rc), "task %d is %s again after "
                             "it ended as %s (%r) with no retry (retry_count "
                             "%d)" % (tid, STATUS[status], STATUS[end[0]],
                                      end[-1], rc))
            if status == PENDING and (rc in s.runs
                                      or first_run.get(rc, INF) < sent):
                self.violate(("requeued", tid, rc), "task %d is pending again "
                             "after it ran, with no retry (retry_count %d)"
                             % (tid, rc))
        for sent, recv, st, tag in obs:
            if st is None or st is PRESENT:
                continue
            status, rc, started, finished, remark = st
            if started:
                s.starts.add(started)
            if status == RUNNING:
                first = s.runs.setdefault(rc, started)
                if first != started:
                    self.violate(("twice", tid, rc), "task %d ran twice with "
                                 "retry_count %d: started %s and %s" % (
                                     tid, rc, first, started))
            elif status in TERMINAL:
                end = (status, started, finished, remark)
                first = s.ends.setdefault(rc, end)
                if first != end:
                    self.violate(("ends", tid, rc), "task %d ended twice with "
                                 "retry_count %d: %r, then %r" % (
                                     tid, rc, first, end))
            s.max_rc = max(s.max_rc, rc)
        for rc, end in s.ends.items():
            if rc in s.runs and end[1] != s.runs[rc]:
                self.violate(("run-end", tid, rc), "task %d, retry_count %d: "
                             "ran from %s but ended with started_at %s" % (
                                 tid, rc, s.runs[rc], end[1]))
        if len(s.starts) > s.max_rc + 1:
            self.violate(("runs", tid), "task %d has run %d times (distinct "
                         "started_at %s) with retry_count %d" % (
                             tid, len(s.starts), sorted(s.starts), s.max_rc))
        s.present |= first_present < INF
        s.absent |= first_gone < INF
        s.last_present = last_present

    def check_creates(self):
        for c in self.creates.values():
            seen = self.token_ids.get(c.token, set())
            if c.acked_ids is not None:
                extra = seen - set(c.acked_ids)
                if extra:
                    self.violate(("extra", c.token, len(extra)), "create %d "
                                 "(key %s) made tasks %s besides its reply %s"
                                 % (c.token, c.key, sorted(extra),
                                    c.acked_ids))
            elif "doubt" in c.outcomes:
                if c.fanout is not None and len(seen) not in (0, c.fanout):
                    self.violate(("partial", c.token), "create %d in doubt "
                                 "left %d of its %d tasks: %s" % (
                                     c.token, len(seen), c.fanout,
                                     sorted(seen)))
            elif seen:
                self.violate(("refused", c.token), "create %d was refused "
                             "(%s) but made tasks %s" % (
                                 c.token, c.outcomes, sorted(seen)))

    def check_ids_increase(self):
        """A create acknowledged before another was sent has lower ids."""
        done = sorted((c.first_ack, max(c.acked_ids), c.token)
                      for c in self.creates.values() if c.acked_ids)
        acks = [d[0] for d in done]
        top, prefix = (0, None), []
        for _, high, token in done:
            top = max(top, (high, token))
            prefix.append(top)
        for c in self.creates.values():
            if not c.acked_ids:
                continue
            k = bisect.bisect_left(acks, c.first_sent)
            if k and prefix[k - 1][0] >= min(c.acked_ids):
                self.violate(("order", c.token), "create %d got ids %s after "
                             "create %d got id %d" % (
                                 c.token, c.acked_ids, prefix[k - 1][1],
                                 prefix[k - 1][0]))


def check_log(h, t, lines, full):
    """The log of task `t` holds one run; with `full` (nothing runs, `t` is
    what is stored) it is the run `t` says. Caller holds the lock or is the
    only thread."""
    tid = t["id"]
    starts = [i for i, ln in enumerate(lines) if ln["text"].startswith(
        START_LINE)]
    if len(starts) > 1 or starts[:1] not in ([], [0]):
        h.violate(("log-runs", tid), "log of task %d holds %d start lines "
                  "(at %s): more than one run" % (tid, len(starts), starts))
        return
    if not full:
        return
    started, finished = t["started_at"], t["finished_at"]
    status, remark = t["status"], t["remark"]

    def bad(what):
        h.violate(("log", tid), "task %d (%s, started %s, finished %s, remark "
                  "%r): %s; log %s" % (tid, STATUS[status], started, finished,
                                       remark, what, lines[:1] + lines[-1:]))
    if started is None:
        if lines:
            bad("never started but has a log")
        return
    if not starts:
        return bad("started but its log has no start line")
    expect = START_LINE + t["serial"] + (
        " as " + t["username"] if t["username"] else "")
    if lines[0]["at"] != started or not lines[0]["text"].startswith(expect):
        return bad("the start line is not that of its run")
    if status == RUNNING:
        return
    last = lines[-1]
    if finished is None or last["at"] != finished:
        return bad("the last line is not the run's end")
    if status == COMPLETED and last["text"] != "completed":
        return bad("completed, but the log does not say so")
    if status == FAILED and remark != STOPPED and \
            last["text"] != "failed: " + remark:
        return bad("failed, but the log ends otherwise")
    if status in (PENDING, FAILED) and not last["text"].startswith("failed: "):
        return bad("the log's run did not fail")

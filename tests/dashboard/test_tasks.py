"""The task list (live rows, filters, paging, select many → stop / retry /
delete), the task page (fields, log, stop / retry / delete) and the live
stream resuming after a server restart."""

import unittest

from harness import DashboardCase, screenshot, tid, wait_css, wait_for

SERIALS = [f"sim-{i:04d}" for i in range(1, 9)]

# Records every status each task row shows, in order (no reload: the
# recorder would be gone).
RECORDER = """
window.__seen = {};
const rec = () => {
  for (const row of document.querySelectorAll('[data-testid="task-row"]')) {
    const cell = row.querySelector('[data-testid="task-status"]');
    const list = (window.__seen[row.dataset.id] ||= []);
    if (cell && list.at(-1) !== cell.dataset.status) list.push(cell.dataset.status);
  }
};
new MutationObserver(rec).observe(document.body, {subtree: true, childList: true, attributes: true});
rec();
"""

# Every event live.js hands to the views, as [type, task id]; and a marker
# that a reload would lose.
EVENT_LOG = """
window.__events = [];
window.__marker = "same page";
import("/js/live.js").then(({live}) =>
  live.subscribe((e) => window.__events.push([e.type, e.task ? e.task.id : null])));
"""


# Read in one script each, so that a row replaced meanwhile is no stale element.
def status_of(driver, task_id):
    return driver.execute_script(
        "const c = document.querySelector(`[data-testid=task-row][data-id='${arguments[0]}']"
        " [data-testid=task-status]`); return c && c.dataset.status", task_id)


def cell(driver, task_id, name):
    return driver.execute_script(
        "const c = document.querySelector(`[data-testid=task-row][data-id='${arguments[0]}']"
        " [data-testid=${arguments[1]}]`); return c && c.textContent.trim()", task_id, name)


def row_ids(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=task-row]')].map(r => +r.dataset.id)")


class TaskListTest(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8, "task_duration": "2s"}

    def test_created_task_goes_pending_running_completed_live(self):
        self.open("#/tasks")
        d = self.driver
        wait_css(d, tid("tasks-table"))
        d.execute_script(RECORDER)
        first = self.farm.create(["sim-0001"])[0]
        second = self.farm.create(["sim-0001"])[0]   # waits for the first: pending
        wait_for(d, lambda d: status_of(d, second) == "2", 20, "second task completed on screen")
        seen = d.execute_script("return window.__seen")
        self.assertEqual(seen[str(second)], ["0", "1", "2"])
        self.assertEqual(seen[str(first)][-1], "2")
        self.assertEqual(row_ids(d)[:2], [second, first])   # newest first
        self.assertEqual(cell(d, second, "task-serial"), "sim-0001")
        self.assertEqual(cell(d, second, "task-script"), "post")
        self.assertEqual(cell(d, second, "task-source"), "api")
        created = d.execute_script(
            "return document.querySelector(`[data-testid=task-row][data-id='${arguments[0]}']"
            " [data-testid=task-created] time`).title", second)
        self.assertRegex(created, r"^\d{4}-\d\d-\d\dT.*([+-]\d\d:\d\d|Z)$")
        self.assertEqual(d.find_element("css selector", 'nav a[aria-current="page"]').text, "Tasks")
        screenshot(d, "tasks")
        self.assertNoConsoleErrors()

    def test_filters_and_paging_in_url(self):
        users = [f"user{i}" for i in range(8)]
        ids = self.farm.data("POST", "/task", {"serials": SERIALS, "script_name": "follow",
                                               "script_config": {"target_users": users}})["task_ids"]
        self.assertEqual(len(ids), 64)
        self.open("#/tasks?script_name=follow")
        d = self.driver
        wait_for(d, lambda d: len(row_ids(d)) == 50, 10, "page 1 of the follow tasks")
        self.assertEqual(row_ids(d), sorted(ids, reverse=True)[:50])
        self.assertIn("Page 1 of 2", wait_css(d, tid("pager-info")).text)
        d.find_element("css selector", tid("pager-next")).click()
        wait_for(d, lambda d: row_ids(d) == sorted(ids, reverse=True)[50:], 10, "page 2")
        self.assertIn("page=2", d.current_url)
        self.assertIn("script_name=follow", d.current_url)
        d.refresh()
        wait_for(d, lambda d: row_ids(d) == sorted(ids, reverse=True)[50:], 10, "page 2 after reload")
        serial = d.find_element("css selector", tid("filter-serial"))
        serial.send_keys("sim-0002\n")
        wait_for(d, lambda d: len(row_ids(d)) == 8 and all(
            cell(d, i, "task-serial") == "sim-0002" for i in row_ids(d)), 10, "serial filter")
        self.assertNotIn("page=2", d.current_url)
        self.assertIn("serial=sim-0002", d.current_url)
        self.choose(tid("filter-source"), "ui")
        wait_css(d, tid("empty"))
        self.choose(tid("filter-source"), "api")
        wait_for(d, lambda d: len(row_ids(d)) == 8, 10, "source filter")
        wait_for(lambda: self.farm.data("GET", "/task?script_name=follow&status=2")["total"] == 64,
                 timeout=60, message="the follow tasks completed")
        self.choose(tid("filter-status"), "2")
        wait_for(d, lambda d: len(row_ids(d)) == 8, 10, "status filter")
        d.find_element("css selector", tid("filter-clear")).click()
        wait_for(d, lambda d: len(row_ids(d)) == 50, 10, "no filter")
        self.assertNoConsoleErrors()

    def choose(self, css, value):
        el = wait_css(self.driver, css)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", el, value)


class TaskActionsTest(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8, "task_duration": "30s"}

    def test_task_page_stop_retry_delete(self):
        task_id = self.farm.create(["sim-0005"])[0]
        self.open(f"#/tasks/{task_id}")
        d = self.driver
        status = lambda: d.find_element("css selector", tid("task-status")).get_attribute("data-status")
        field = lambda name: d.find_element("css selector", tid(f"task-field-{name}")).text
        wait_for(d, lambda d: status() == "1", 10, "running")
        for name in ("id", "serial", "script_name", "script_config", "source", "created_at",
                     "started_at", "retry_count", "node", "exit_code", "status_text"):
            wait_css(d, tid(f"task-field-{name}"))
        self.assertEqual(field("serial"), "sim-0005")
        self.assertEqual(field("node"), "local")
        wait_css(d, tid("log-line"))
        screenshot(d, "task")
        self.assertTrue(d.find_element("css selector", tid("task-retry")).get_attribute("disabled"))
        d.find_element("css selector", tid("task-stop")).click()
        wait_for(d, lambda d: status() == "3", 5, "failed after stop")
        self.assertEqual(field("remark"), "stopped by user")
        wait_for(d, lambda d: "failed: stopped by user" in d.execute_script(
            "return document.querySelector('[data-testid=task-log]').textContent"), 5, "log")
        d.find_element("css selector", tid("task-retry")).click()
        wait_for(d, lambda d: status() in ("0", "1"), 5, "pending again")
        self.assertEqual(field("retry_count"), "1")
        wait_for(d, lambda d: status() == "1", 10, "running again")
        d.find_element("css selector", tid("task-delete")).click()
        wait_css(d, tid("confirm-ok")).click()
        wait_for(d, lambda d: d.current_url.endswith("#/tasks"), 5, "back to the list")
        self.assertEqual(self.farm.api("GET", f"/task/{task_id}")["code"], 40401)
        self.assertNoConsoleErrors()

    def test_select_many_stop_retry_delete(self):
        ids = [self.farm.create(["sim-0006"])[0] for _ in range(3)]   # 1 running, 2 pending
        self.open("#/tasks?serial=sim-0006")
        d = self.driver
        wait_for(d, lambda d: row_ids(d) == ids[::-1], 10, "the 3 tasks")
        d.find_element("css selector", tid("select-all")).click()
        self.assertEqual(d.find_element("css selector", tid("selection-count")).text, "3 selected")
        # With rows selected a new task does not move the table: a banner offers it.
        extra = self.farm.create(["sim-0006"])[0]
        banner = wait_css(d, tid("new-tasks"), 5)
        self.assertIn("1 new task", banner.text)
        self.assertEqual(row_ids(d), ids[::-1])
        d.find_element("css selector", tid("new-tasks-show")).click()
        wait_for(d, lambda d: row_ids(d) == [extra] + ids[::-1], 5, "the new task shown")
        self.assertEqual(d.find_element("css selector", tid("selection-count")).text, "3 selected")
        self.assertFalse(banner.is_displayed())
        d.find_element("css selector", tid("action-stop")).click()
        wait_for(d, lambda d: all(status_of(d, i) == "3" for i in ids), 5, "all stopped")
        self.assertEqual({cell(d, i, "task-remark") for i in ids}, {"stopped by user"})
        d.find_element("css selector", tid("action-retry")).click()
        wait_for(d, lambda d: all(status_of(d, i) in ("0", "1") for i in ids), 5, "all retried")
        self.assertEqual({cell(d, i, "task-retries") for i in ids}, {"1"})
        wait_for(d, lambda d: any(status_of(d, i) == "1" for i in ids + [extra]), 10, "one runs")
        # Select-all again from scratch, and delete.
        box = d.find_element("css selector", tid("select-all"))
        if box.is_selected():
            box.click()
        box.click()
        d.find_element("css selector", tid("action-delete")).click()
        wait_css(d, tid("confirm-ok")).click()
        wait_css(d, tid("empty"), 10)
        self.assertEqual(self.farm.data("GET", "/task?serial=sim-0006")["total"], 0)
        self.assertNoConsoleErrors()

    def test_live_resumes_after_server_restart(self):
        self.open("#/tasks?serial=sim-0008")
        d = self.driver
        wait_css(d, tid("empty"))
        d.execute_script(EVENT_LOG)
        task_id = self.farm.create(["sim-0008"])[0]   # its events give live.js an id
        wait_for(d, lambda d: status_of(d, task_id) == "1", 10, "running")
        self.farm.stop()
        live = tid("live-status")
        wait_css(d, live + '[data-status="disconnected"]', 10)
        self.assertEqual(d.find_element("css selector", live).text, "disconnected")
        self.farm.start()
        wait_css(d, live + '[data-status="live"]', 20)
        # The run ended with the old process; the new one said so before the
        # page reconnected: the event comes from resuming with Last-Event-ID.
        wait_for(d, lambda d: status_of(d, task_id) == "3", 10, "failed after the restart")
        self.assertEqual(cell(d, task_id, "task-remark"), "interrupted by server restart")
        events = d.execute_script("return window.__events")
        self.assertIn(["task.failed", task_id], events)
        self.assertNotIn(["reset", None], events)
        newer = self.farm.create(["sim-0008"])[0]
        wait_for(d, lambda d: status_of(d, newer) == "1", 10, "a new task, live")
        self.assertEqual(d.execute_script("return window.__marker"), "same page")
        self.farm.data("POST", f"/task/{newer}/stop")
        d.get_log("browser")   # connection refused while the server was down

if __name__ == "__main__":
    unittest.main()

"""Browser tests of the admin pages: accounts, groups (and a group as a
create target), schedules (next run, run now), webhooks (the secret is
never shown), each loading without console errors at 1280x800 and 390x844.

    TMX_WEB_DIR=web /usr/bin/python3 -m unittest \
        discover -s tests/dashboard -p 'test_pages.py' -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (DashboardCase, browser, console_errors,  # noqa: E402
                     errors_but_refusals, find, screenshot, show, tid,
                     wait_css, wait_for)
from selenium.common.exceptions import (NoSuchElementException,  # noqa: E402
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

PAGES = {"create": "create-form", "accounts": "accounts-table", "groups": "groups-table",
         "schedules": "schedules-table", "webhooks": "webhooks-table"}
SECRET = "s3cret-never-shown-0123456789"


def el(driver, testid, **data):
    return driver.find_element(By.CSS_SELECTOR, tid(testid, **data))


def type_into(driver, testid, text):
    e = el(driver, testid)
    e.clear()
    e.send_keys(text)


def click(driver, css):
    """Clicks the first element matching css once scrolled to the middle
    (clear of the sticky header), again if a re-render replaced it."""
    def done(d):
        try:
            el = wait_css(d, css, timeout=5)
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
            el.click()
            return True
        except StaleElementReferenceException:
            return False
    wait_for(driver, done, 10, message=f"could not click {css}")


def text(driver, css):
    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except (StaleElementReferenceException, NoSuchElementException):
        return None


def confirm(driver):
    click(driver, tid("confirm-ok"))


class Pages(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8, "task_duration": "2s"}

    def tearDown(self):
        self.assertEqual(errors_but_refusals(self.driver), [])

    def accounts_of(self, username):
        data = self.farm.data("GET", "/account?page_size=100")
        return [a for a in data["accounts"] if a["username"] == username]

    def test_accounts_create_filter_update_delete(self):
        d = self.driver
        show(d, self.farm, "#/accounts", "accounts-table")
        wait_css(d, tid("account-row", username="sim-0001-a"))
        type_into(d, "account-username", "@ui-shop")
        type_into(d, "account-serial", "sim-0003")
        Select(el(d, "account-platform")).select_by_value("instagram")
        click(d, tid("account-save"))
        wait_css(d, tid("account-row", username="@ui-shop"))
        self.assertEqual(self.accounts_of("@ui-shop"), [{
            "username": "@ui-shop", "serial": "sim-0003", "platform": "instagram",
            "enabled": True}])
        # an unknown serial: the server's message beside the serial input
        type_into(d, "account-username", "ghost")
        type_into(d, "account-serial", "no-such-device")
        click(d, tid("account-save"))
        err = wait_css(d, tid("field-error") + '[data-for="serial"]')
        self.assertIn("serial", err.text)
        self.assertEqual(self.accounts_of("ghost"), [])
        # filters are the server's, kept in the URL
        Select(el(d, "filter-platform")).select_by_value("instagram")
        wait_for(d, lambda d: [r.get_attribute("data-username")
                               for r in find(d, tid("account-row"))] == ["@ui-shop"])
        self.assertIn("platform=instagram", d.execute_script("return location.hash"))
        screenshot(d, "accounts")
        # disable, then delete (confirmed)
        row = tid("account-row", username="@ui-shop")
        click(d, row + " " + tid("account-toggle"))
        wait_for(lambda: self.accounts_of("@ui-shop")[0]["enabled"] is False)
        wait_for(d, lambda d: text(d, row + " " + tid("account-toggle")) == "Enable")
        click(d, row + " " + tid("account-delete"))
        confirm(d)
        wait_css(d, tid("accounts-empty"))
        self.assertEqual(self.accounts_of("@ui-shop"), [])

    def test_a_group_from_its_page_is_a_create_target(self):
        d = self.driver
        show(d, self.farm, "#/groups", "groups-table")
        wait_css(d, tid("groups-empty"))
        # no devices picked: the server's message beside the devices
        type_into(d, "group-name", "ui shop")
        click(d, tid("group-save"))
        err = wait_css(d, tid("field-error") + '[data-for="serials"]')
        self.assertIn("serials", err.text)
        for serial in ("sim-0004", "sim-0002"):
            click(d, tid(f"group-serial-{serial}"))
        click(d, tid("group-save"))
        wait_css(d, tid("group-row", name="ui shop"))
        group = self.farm.data("GET", "/group")["groups"][0]
        self.assertEqual((group["name"], sorted(group["serials"])),
                         ("ui shop", ["sim-0002", "sim-0004"]))
        screenshot(d, "groups")

        show(d, self.farm, "#/create?script=post", "create-form")
        click(d, tid("target-mode-groups"))
        click(d, tid("group-ui shop"))
        click(d, tid("create-submit"))
        links = wait_for(d, lambda d: len(find(d, tid("created-link"))) == 2
                         and find(d, tid("created-link")))
        tasks = [self.farm.data("GET", f"/task/{a.get_attribute('data-id')}") for a in links]
        self.assertEqual(sorted(t["serial"] for t in tasks), ["sim-0002", "sim-0004"])
        self.assertEqual({t["source"] for t in tasks}, {"ui"})

        show(d, self.farm, "#/groups", "groups-table")
        click(d, tid("group-row", name="ui shop") + " " + tid("group-delete"))
        confirm(d)
        wait_css(d, tid("groups-empty"))
        self.assertEqual(self.farm.data("GET", "/group")["groups"], [])

    def test_a_schedule_is_listed_with_its_next_run_and_runs_now(self):
        d = self.driver
        show(d, self.farm, "#/schedules", "schedules-table")
        form = wait_css(d, tid("schedule-form"))
        type_into(d, "schedule-name", "ui nightly")
        type_into(d, "schedule-times", "03:15, 23:45")
        click(d, tid("schedule-form") + " " + tid("serial-sim-0005"))
        form.find_element(By.CSS_SELECTOR, tid("cfg-captions")).send_keys("nightly")
        click(d, tid("schedule-save"))
        row = wait_css(d, tid("schedule-row"))
        sid = int(row.get_attribute("data-id"))
        nxt = row.find_element(By.CSS_SELECTOR, tid("schedule-next-run") + " time")
        server = self.farm.data("GET", f"/schedule/{sid}")
        self.assertEqual(nxt.get_attribute("datetime"), server["next_run_at"])
        self.assertEqual(server["times"], ["03:15", "23:45"])
        self.assertEqual(server["task"]["serials"], ["sim-0005"])
        self.assertEqual(server["task"]["script_config"]["captions"], "nightly")
        self.assertEqual(row.find_element(By.CSS_SELECTOR, tid("schedule-last-run")).text, "—")

        click(d, tid("schedule-run"))
        link = tid("schedule-row") + " " + tid("schedule-task-link")
        task_id = int(wait_for(d, lambda d: text(d, link)).lstrip("#"))
        task = self.farm.data("GET", f"/task/{task_id}")
        self.assertEqual((task["source"], task["schedule_id"], task["serial"]),
                         ("schedule", sid, "sim-0005"))
        wait_css(d, tid("schedule-row") + " " + tid("schedule-last-run") + " time")
        screenshot(d, "schedules")

        # edit: a task error comes back under its task. path
        click(d, tid("schedule-edit"))
        self.assertEqual(el(d, "schedule-name").get_attribute("value"), "ui nightly")
        self.assertEqual(el(d, "cfg-captions").get_attribute("value"), "nightly")
        type_into(d, "cfg-origin_sound_volume", "101")
        click(d, tid("schedule-save"))
        err = wait_css(d, tid("field-error")
                       + '[data-for="task.script_config.origin_sound_volume"]')
        self.assertIn("0-100", err.text)
        # disable (from the list), then delete
        click(d, tid("schedule-toggle"))
        wait_for(lambda: self.farm.data("GET", f"/schedule/{sid}")["enabled"] is False)
        wait_for(d, lambda d: text(d, tid("schedule-enabled-cell")) == "no")
        click(d, tid("schedule-delete"))
        confirm(d)
        wait_css(d, tid("schedules-empty"))

    def test_a_webhook_is_listed_and_its_secret_never_shown(self):
        d = self.driver
        show(d, self.farm, "#/webhooks", "webhooks-table")
        type_into(d, "webhook-url", "http://127.0.0.1:9/tmx-hook")
        type_into(d, "webhook-secret", "short")
        click(d, tid("webhook-save"))
        err = wait_css(d, tid("field-error") + '[data-for="secret"]')
        self.assertIn("16", err.text)
        click(d, tid("webhook-event-task.created"))  # off
        type_into(d, "webhook-secret", SECRET)
        click(d, tid("webhook-save"))
        row = wait_css(d, tid("webhook-row"))
        self.assertIn("http://127.0.0.1:9/tmx-hook",
                      row.find_element(By.CSS_SELECTOR, tid("webhook-url-cell")).text)
        self.assertEqual(el(d, "webhook-secret").get_attribute("value"), "")
        self.assertNotIn(SECRET, d.page_source)
        self.assertNotIn(SECRET, d.execute_script("return document.body.innerText"))
        hooks = self.farm.data("GET", "/webhook")["webhooks"]
        self.assertEqual(len(hooks), 1)
        self.assertNotIn("task.created", hooks[0]["events"])
        self.assertIn("task.completed", hooks[0]["events"])
        # an event to deliver: a failed attempt shows up in its deliveries
        self.farm.create(["sim-0008"])
        click(d, tid("webhook-deliveries-btn"))
        wait_css(d, tid("deliveries-table"))
        wait_css(d, tid("delivery-row"), timeout=15)  # re-read every 3 s
        self.assertIn("deliveries=", d.execute_script("return location.hash"))
        screenshot(d, "webhooks")
        click(d, tid("webhook-delete"))
        confirm(d)
        wait_css(d, tid("webhooks-empty"))
        self.assertEqual(self.farm.data("GET", "/webhook")["webhooks"], [])

    def test_every_page_loads_cleanly_at_both_sizes(self):
        for width, height in ((1280, 800), (390, 844)):
            d = browser(width, height)
            try:
                for page, testid in PAGES.items():
                    show(d, self.farm, f"#/{page}", testid)
                    wait_for(d, lambda d: "Loading" not in d.execute_script(
                        "return document.querySelector('main').innerText"))
                    self.assertEqual(console_errors(d), [], f"{page} at {width}")
                    self.assertFalse(d.execute_script(
                        "return document.documentElement.scrollWidth > innerWidth + 1"),
                        f"{page} scrolls sideways at {width}")
                    unlabelled = d.execute_script("""
                        return [...document.querySelectorAll('main input, main select,'
                          + ' main textarea')].filter((e) => !e.labels || !e.labels.length)
                          .map((e) => e.outerHTML);""")
                    self.assertEqual(unlabelled, [], page)
                    screenshot(d, f"{page}-{width}x{height}")
            finally:
                d.quit()


if __name__ == "__main__":
    unittest.main()

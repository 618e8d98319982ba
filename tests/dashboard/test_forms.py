"""Browser tests of the create form (#/create): tasks created through it, the
server's 40001 messages beside the fields they name, the conditional
fields of web/js/scripts.js.

    TMX_WEB_DIR=web /usr/bin/python3 -m unittest \
        discover -s tests/dashboard -p 'test_forms.py' -v
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (DashboardCase, browser, console_errors,  # noqa: E402
                     errors_but_refusals, find, screenshot, show, tid,
                     wait_css, wait_for)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def cfg(driver, name):
    return driver.find_element(By.CSS_SELECTOR, tid(f"cfg-{name}"))


def press(driver, css):
    """Clicks css's element once scrolled to the middle (clear of the sticky
    header, which the driver's own scrolling may leave on top of it)."""
    el = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def submit_and_wait(driver):
    press(driver, tid("create-submit"))


def created_ids(driver, count):
    links = wait_for(driver, lambda d: len(find(d, tid("created-link"))) == count
                     and find(d, tid("created-link")), 10,
                     message=lambda: "created links: " + driver.find_element(
                         By.CSS_SELECTOR, tid("create-result")).text)
    ids = [int(a.get_attribute("data-id")) for a in links]
    for a, i in zip(links, ids):
        assert a.get_attribute("href").endswith(f"#/tasks/{i}"), a.get_attribute("href")
    return ids


def field_error(driver, field):
    return wait_css(driver, tid("field-error") + f'[data-for="{field}"]')


class CreateForm(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8, "task_duration": "2s"}

    def tearDown(self):
        self.assertEqual(errors_but_refusals(self.driver), [])

    def count(self, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return self.farm.data("GET", f"/task?{q}")["total"]

    def test_post_on_two_serials_creates_ui_tasks_and_links_them(self):
        d = self.driver
        show(d, self.farm, "#/create?script=post", "create-form")
        self.assertEqual(Select(d.find_element(By.CSS_SELECTOR, tid("script-select")))
                         .first_selected_option.get_attribute("value"), "post")
        # defaults: preselected enums, placeholders
        self.assertEqual(Select(cfg(d, "post_way")).first_selected_option
                         .get_attribute("value"), "share")
        self.assertEqual(cfg(d, "upload_wait_time").get_attribute("placeholder"), "30")
        for serial in ("sim-0001", "sim-0002"):
            press(d, tid(f"serial-{serial}"))
        cfg(d, "captions").send_keys("{Hi|Hello} from the form")
        screenshot(d, "create-post")
        submit_and_wait(d)
        ids = created_ids(d, 2)
        self.assertEqual(d.find_element(By.CSS_SELECTOR, tid("created-count")).text, "2")
        serials = set()
        for i in ids:
            task = self.farm.data("GET", f"/task/{i}")
            self.assertEqual(task["source"], "ui")
            self.assertEqual(task["script_name"], "post")
            self.assertEqual(task["script_config"]["captions"], "{Hi|Hello} from the form")
            serials.add(task["serial"])
        self.assertEqual(serials, {"sim-0001", "sim-0002"})
        # the link opens the task page
        press(d, tid("created-link"))
        wait_for(d, lambda d: d.execute_script("return location.hash") == f"#/tasks/{ids[0]}")

    def test_follow_without_targets_shows_the_servers_message_beside_it(self):
        d = self.driver
        show(d, self.farm, "#/create?script=follow", "create-form")
        press(d, tid("serial-sim-0003"))
        before = self.count(script_name="follow")
        submit_and_wait(d)
        err = field_error(d, "script_config.target_users")
        self.assertIn("script_config.target_users", err.text)
        self.assertIn("at least one user", err.text)
        target = cfg(d, "target_users")
        # beside the input, announced with it, and focused
        self.assertEqual(d.execute_script(
            "return arguments[0].previousElementSibling", err), target)
        self.assertIn(err.get_attribute("id"), target.get_attribute("aria-describedby"))
        self.assertEqual(target.get_attribute("aria-invalid"), "true")
        self.assertEqual(d.switch_to.active_element, target)
        self.assertEqual(self.count(script_name="follow"), before)
        screenshot(d, "create-follow-error")
        # fixed: two targets on one device are two tasks, the error is gone
        target.send_keys("alice\nbob")
        submit_and_wait(d)
        ids = created_ids(d, 2)
        self.assertEqual(find(d, tid("field-error")), [])
        users = sorted(self.farm.data("GET", f"/task/{i}")["script_config"]["target_users"][0]
                       for i in ids)
        self.assertEqual(users, ["alice", "bob"])

    def test_a_value_the_server_refuses_reaches_it(self):
        d = self.driver
        show(d, self.farm, "#/create?script=post", "create-form")
        press(d, tid("serial-sim-0001"))
        cfg(d, "origin_sound_volume").send_keys("150")
        submit_and_wait(d)
        err = field_error(d, "script_config.origin_sound_volume")
        self.assertIn("must be an integer 0-100", err.text)
        # and a chatgpt key left empty, named by its dotted path
        Select(d.find_element(By.CSS_SELECTOR, tid("script-select"))) \
            .select_by_value("account_warmup")
        press(d, tid("cfg-generate_by_chatgpt"))  # the targets stay as they were
        submit_and_wait(d)
        err = field_error(d, "script_config.chatgpt_settings.api_key")
        self.assertIn("api_key is required", err.text)
        self.assertEqual(d.switch_to.active_element, cfg(d, "chatgpt_settings.api_key"))

    def test_switching_script_shows_and_hides_its_fields(self):
        d = self.driver
        show(d, self.farm, "#/create?script=post", "create-form")
        self.assertFalse(cfg(d, "material_path").is_displayed())
        Select(cfg(d, "material_source")).select_by_value("localFolder")
        self.assertTrue(cfg(d, "material_path").is_displayed())
        self.assertFalse(cfg(d, "sound_name").is_displayed())
        Select(cfg(d, "post_way")).select_by_value("useSound")
        self.assertTrue(cfg(d, "sound_name").is_displayed())
        Select(cfg(d, "add_sound")).select_by_value("custom")
        self.assertTrue(cfg(d, "custom_sound_keyword").is_displayed())
        Select(cfg(d, "material_source")).select_by_value("materialLibrary")
        self.assertFalse(cfg(d, "material_path").is_displayed())

        script = Select(d.find_element(By.CSS_SELECTOR, tid("script-select")))
        script.select_by_value("follow")
        self.assertEqual(find(d, tid("cfg-material_path")), [])
        self.assertTrue(cfg(d, "target_users").is_displayed())
        self.assertEqual(d.execute_script("return location.hash"), "#/create?script=follow")

        script.select_by_value("account_warmup")
        self.assertFalse(cfg(d, "chatgpt_settings.api_key").is_displayed())
        self.assertEqual(cfg(d, "chatgpt_settings.model").get_attribute("placeholder"),
                         "gpt-3.5-turbo")
        press(d, tid("cfg-generate_by_chatgpt"))
        self.assertTrue(cfg(d, "chatgpt_settings.api_key").is_displayed())
        self.assertEqual(cfg(d, "chatgpt_settings.api_key").get_attribute("type"), "password")

        script.select_by_value("comment")
        for name in ("target_post_urls", "comment_content", "comment_order"):
            self.assertTrue(cfg(d, name).is_displayed(), name)
        screenshot(d, "create-comment")

    def test_usernames_start_time_and_intervals(self):
        d = self.driver
        show(d, self.farm, "#/create?script=account_warmup", "create-form")
        press(d, tid("target-mode-usernames"))
        self.assertFalse(d.find_element(By.CSS_SELECTOR, tid("multi-account")).is_displayed())
        press(d, tid("account-sim-0005-a"))
        d.find_element(By.CSS_SELECTOR, tid("target-usernames-text")).send_keys("sim-0006-b")
        # two hours ahead, typed in the browser's zone
        local = d.execute_script("""
            const t = new Date(Date.now() + 2 * 3600e3); t.setSeconds(0, 0);
            const p = (n) => String(n).padStart(2, '0');
            const v = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}` +
                      `T${p(t.getHours())}:${p(t.getMinutes())}`;
            const el = document.querySelector('[data-testid="start-time"]');
            el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));
            return t.getTime();""")
        d.find_element(By.CSS_SELECTOR, tid("min-interval")).send_keys("1")
        d.find_element(By.CSS_SELECTOR, tid("max-interval")).send_keys("1")
        submit_and_wait(d)
        ids = sorted(created_ids(d, 2))
        tasks = [self.farm.data("GET", f"/task/{i}") for i in ids]
        self.assertEqual(sorted(t["username"] for t in tasks), ["sim-0005-a", "sim-0006-b"])
        due = [datetime.datetime.fromisoformat(t["scheduled_at"]).timestamp() * 1000
               for t in tasks]
        self.assertAlmostEqual(due[0], local, delta=1000)
        self.assertAlmostEqual(due[1] - due[0], 60_000, delta=1000)

    def test_an_idempotency_key_makes_a_repeat_create_nothing(self):
        d = self.driver
        show(d, self.farm, "#/create?script=post", "create-form")
        key = d.find_element(By.CSS_SELECTOR, tid("idempotency-key"))
        self.assertNotEqual(key.get_attribute("value"), "")
        key.clear()
        key.send_keys("ui-test-key-1")
        press(d, tid("serial-sim-0007"))
        submit_and_wait(d)
        first = created_ids(d, 1)
        before = self.count(serial="sim-0007")
        # the same key and body again (as a retry after a lost reply would)
        key.clear()
        key.send_keys("ui-test-key-1")
        d.execute_script("document.querySelector('[data-testid=\"create-result\"]')"
                         ".replaceChildren()")
        submit_and_wait(d)
        self.assertEqual(created_ids(d, 1), first)
        self.assertEqual(self.count(serial="sim-0007"), before)
        self.assertNotEqual(key.get_attribute("value"), "ui-test-key-1")

    def test_keyboard_alone_creates(self):
        d = self.driver
        show(d, self.farm, "#/create?script=unfollow", "create-form")
        box = d.find_element(By.CSS_SELECTOR, tid("serial-sim-0008"))
        box.send_keys(Keys.SPACE)
        self.assertTrue(box.is_selected())
        cfg(d, "target_users").send_keys("carol")
        # Enter in a text input submits the form
        d.find_element(By.CSS_SELECTOR, tid("idempotency-key")).send_keys(Keys.ENTER)
        ids = created_ids(d, 1)
        task = self.farm.data("GET", f"/task/{ids[0]}")
        self.assertEqual((task["script_name"], task["serial"], task["source"]),
                         ("unfollow", "sim-0008", "ui"))

    def test_phone_width(self):
        d = browser(390, 844)
        try:
            show(d, self.farm, "#/create?script=post", "create-form")
            wide = d.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth + 1")
            self.assertFalse(wide, "the create form scrolls sideways at 390 px")
            screenshot(d, "create-phone")
            self.assertEqual(console_errors(d), [])
        finally:
            d.quit()


if __name__ == "__main__":
    unittest.main()

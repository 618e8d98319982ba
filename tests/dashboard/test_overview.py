"""The overview (device wall, stats, nodes, filters in the URL), the nodes
page, the phone-sized window and the API token dialog."""

import unittest

from harness import (DashboardCase, Farm, browser, console_errors, find, open_page,
                     screenshot, tid, wait_css, wait_for)

SERIALS = [f"sim-{i:04d}" for i in range(1, 9)]


def tiles(driver):
    return {t.get_attribute("data-serial"): t for t in find(driver, tid("device-tile"))}


def serials_shown(driver):
    return sorted(tiles(driver))


def text(driver, css):
    els = find(driver, css)
    return els[0].text if els else None


class OverviewTest(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8, "task_duration": "30s"}

    def test_wall_shows_every_device(self):
        self.open("#/")
        d = self.driver
        wait_for(d, lambda d: serials_shown(d) == SERIALS, 10, "8 tiles")
        for serial, tile in tiles(d).items():
            self.assertEqual(tile.find_element("css selector", tid("tile-serial")).text, serial)
            self.assertIn(tile.get_attribute("data-state"), ("online", "busy"))
            self.assertEqual(tile.find_element("css selector", tid("tile-node")).text, "local")
        wait_for(d, lambda d: text(d, tid("stat-total") + " .n") not in (None, "–"), 5, "stats")
        node = wait_css(d, tid("node-summary", node="local"))
        self.assertIn("8 devices", node.text)
        self.assertEqual(d.find_element("css selector", 'nav a[aria-current="page"]').text, "Overview")
        screenshot(d, "overview")
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        try:
            bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
            self.assertNotEqual(bg, "rgb(246, 247, 249)")   # the dark theme's, not the light one
            screenshot(d, "overview-dark")
        finally:
            d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        self.assertNoConsoleErrors()

    def test_running_task_and_queue_on_tile(self):
        first = self.farm.create(["sim-0003"])[0]
        second = self.farm.create(["sim-0003"])[0]
        try:
            self.open("#/")
            d = self.driver
            tile = lambda: tiles(d).get("sim-0003")
            wait_for(d, lambda d: tile() and tile().get_attribute("data-state") == "busy", 10, "busy")
            wait_for(d, lambda d: tile().find_elements("css selector", tid("tile-task-script")), 5, "task")
            t = tile()
            self.assertEqual(t.find_element("css selector", tid("tile-task-script")).text, "post")
            self.assertEqual(t.find_element("css selector", tid("tile-task-link")).text, f"#{first}")
            self.assertEqual(t.find_element("css selector", tid("tile-queued")).text, "1")
            self.assertRegex(t.find_element("css selector", tid("tile-task-elapsed")).text, r"^\d+ s$")
            # Live: stopping the running task frees the tile, the next one starts.
            self.farm.data("POST", f"/task/{first}/stop")
            wait_for(d, lambda d: tile().find_element("css selector", tid("tile-task-link")).text
                     == f"#{second}", 5, "next task on the tile")
            wait_for(d, lambda d: tile().find_element("css selector", tid("tile-queued")).text == "0", 5)
        finally:
            self.farm.data("POST", f"/task/{first}/stop")
            self.farm.data("POST", f"/task/{second}/stop")
        wait_for(self.driver, lambda d: tiles(d)["sim-0003"].get_attribute("data-state") == "online", 5)
        self.assertNoConsoleErrors()

    def test_filters_kept_in_url(self):
        self.farm.data("POST", "/group", {"name": "left", "serials": ["sim-0001", "sim-0002"]})
        running = self.farm.create(["sim-0007"])[0]
        try:
            self.open("#/")
            d = self.driver
            wait_for(d, lambda d: len(tiles(d)) == 8, 10)
            self.select(tid("filter-group"), "left")
            wait_for(d, lambda d: serials_shown(d) == ["sim-0001", "sim-0002"], 5, "group filter")
            self.assertIn("group=left", d.current_url)
            self.select(tid("filter-group"), "")
            self.select(tid("filter-state"), "busy")
            wait_for(d, lambda d: serials_shown(d) == ["sim-0007"], 5, "state filter")
            self.assertIn("state=busy", d.current_url)
            d.refresh()   # the filters survive a reload
            wait_for(d, lambda d: serials_shown(d) == ["sim-0007"], 10, "after reload")
            self.assertEqual(self.value(tid("filter-state")), "busy")
            self.select(tid("filter-state"), "")
            self.select(tid("filter-node"), "local")
            wait_for(d, lambda d: len(tiles(d)) == 8, 5, "node filter")
            self.assertIn("node=local", d.current_url)
        finally:
            self.farm.data("POST", f"/task/{running}/stop")
        self.assertNoConsoleErrors()

    def test_screenshot_on_demand(self):
        self.open("#/")
        d = self.driver
        wait_for(d, lambda d: len(tiles(d)) == 8, 10)
        tiles(d)["sim-0001"].find_element("css selector", tid("tile-screenshot-button")).click()
        img = wait_css(d, tid("device-tile", serial="sim-0001") + " " + tid("tile-screenshot"))
        wait_for(d, lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", img), 5, "image")
        self.assertTrue(img.get_attribute("src").startswith("blob:"))
        self.assertNoConsoleErrors()

    def test_nodes_page(self):
        self.open("#/nodes")
        d = self.driver
        row = wait_css(d, tid("node-row", name="local"))
        self.assertEqual(row.get_attribute("data-state"), "online")
        self.assertTrue(row.find_element("css selector", tid("node-devices")).text.startswith("8 (8 online)"))
        self.assertRegex(row.find_element("css selector", tid("node-connected") + " time")
                         .get_attribute("title"), r"[+-]\d\d:\d\d$")
        self.assertEqual(len(find(d, "th[scope=col]")), 6)
        self.assertEqual(d.find_element("css selector", 'nav a[aria-current="page"]').text, "Nodes")
        screenshot(d, "nodes")
        self.assertNoConsoleErrors()

    def test_unknown_route_says_not_found(self):
        self.open("#/no-such-page")
        self.assertIn("no-such-page", wait_css(self.driver, tid("not-found")).text)
        self.assertNoConsoleErrors()

    # --- helpers
    def select(self, css, value):
        el = wait_css(self.driver, css)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", el, value)

    def value(self, css):
        return self.driver.find_element("css selector", css).get_attribute("value")


class PhoneTest(DashboardCase, unittest.TestCase):
    FARM = {"devices": 8}
    WINDOW = (390, 844)

    def test_phone_shows_nav_and_wall(self):
        self.open("#/")
        d = self.driver
        wait_for(d, lambda d: len(tiles(d)) == 8, 10)
        self.assertEqual(d.execute_script("return innerWidth"), 390)
        nav = d.find_element("css selector", tid("nav"))
        self.assertTrue(nav.is_displayed())
        link = d.find_element("css selector", 'nav a[href="#/tasks"]')
        self.assertTrue(link.is_displayed())
        first = tiles(d)["sim-0001"]
        self.assertTrue(first.is_displayed())
        self.assertLessEqual(first.rect["x"] + first.rect["width"], 390)
        # No sideways scrolling of the page itself.
        self.assertLessEqual(d.execute_script("return document.documentElement.scrollWidth"), 390)
        screenshot(d, "overview-phone")
        link.click()
        wait_css(d, tid("tasks-table"))
        self.assertLessEqual(d.execute_script("return document.documentElement.scrollWidth"), 390)
        screenshot(d, "tasks-phone")
        self.assertNoConsoleErrors()


class TokenTest(unittest.TestCase):
    TOKEN = "dash-token-0123456789"

    def test_wrong_token_is_refused_and_right_one_works(self):
        with Farm(devices=8, token=self.TOKEN) as farm:
            d = browser()
            try:
                open_page(d, farm, "#/", live=False)
                dialog = wait_css(d, tid("token-dialog"))
                self.assertFalse(find(d, tid("token-error"))[0].is_displayed())
                self.enter(d, "wrong-token")
                err = wait_css(d, tid("token-error"))
                self.assertIn("refused", err.text)
                self.assertTrue(dialog.is_displayed())
                self.assertEqual(d.switch_to.active_element.get_attribute("data-testid"), "token-input")
                field = d.find_element("css selector", tid("token-input"))
                field.send_keys(self.TOKEN + "\n")   # the keyboard alone will do
                wait_for(d, lambda d: not dialog.is_displayed(), 5, "dialog closed")
                wait_for(d, lambda d: serials_shown(d) == SERIALS, 10, "wall with the token")
                wait_css(d, tid("live-status") + '[data-status="live"]', 10)
                self.assertEqual(d.execute_script("return sessionStorage.getItem('tmx.token')"), self.TOKEN)
                d.refresh()   # asked once: the kept token is used
                wait_for(d, lambda d: serials_shown(d) == SERIALS, 10, "wall after reload")
                self.assertFalse(d.find_element("css selector", tid("token-dialog")).is_displayed())
                # The only console errors are the refused requests (HTTP 401).
                for e in console_errors(d):
                    self.assertRegex(e["message"], r"/api/v1/\S* .*status of 401", e)
            finally:
                d.quit()

    @staticmethod
    def enter(d, token):
        field = wait_css(d, tid("token-input"))
        field.clear()
        field.send_keys(token)
        d.find_element("css selector", tid("token-submit")).click()


if __name__ == "__main__":
    unittest.main()

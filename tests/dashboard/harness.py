"""Shared fixture of the dashboard's browser tests (Python 3.11 stdlib + selenium).

    with Farm(devices=8, task_duration="2s") as farm:
        driver = browser()
        try:
            open_page(driver, farm, "#/tasks")
            ...
            assert not console_errors(driver)
        finally:
            driver.quit()

Environment:
  TMX_SERVER          the server binary (default build/tmx-server of this tree)
  TMX_WEB_DIR         serve the dashboard from this directory (--http.web-dir);
                      unset: the files embedded in the binary
  TMX_SCREENSHOT_DIR  where screenshot() writes (default
                      build/dashboard-screenshots of this tree)
  CHROMIUM, CHROMEDRIVER  the browser and its driver (default /usr/bin/...)
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

try:
    import selenium  # noqa: F401
except ImportError:  # a python3 (pyenv) that does not see Debian's python3-selenium
    sys.path.append("/usr/lib/python3/dist-packages")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

_BUILD = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SERVER = os.environ.get("TMX_SERVER", os.path.join(_BUILD, "tmx-server"))
SCREENSHOT_DIR = os.environ.get("TMX_SCREENSHOT_DIR",
                                os.path.join(_BUILD, "dashboard-screenshots"))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Farm:
    """A tmx-server with simulated devices on a free loopback port and a fresh
    data directory (removed by stop()). extra: more --key=value options."""

    def __init__(self, devices=8, task_duration="2s", failure_rate=None, token=None,
                 extra=None, wait_devices=True):
        self.devices = devices
        self.token = token
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="tmx-dash-")
        self.args = [SERVER, f"--http.port={self.port}",
                     f"--storage.path={os.path.join(self.dir, 'data')}",
                     f"--sim.devices={devices}", f"--sim.task-duration={task_duration}"]
        if failure_rate is not None:
            self.args.append(f"--sim.failure-rate={failure_rate}")
        if token:
            self.args.append(f"--http.token={token}")
        if os.environ.get("TMX_WEB_DIR"):
            self.args.append(f"--http.web-dir={os.path.abspath(os.environ['TMX_WEB_DIR'])}")
        for key, value in (extra or {}).items():
            self.args.append(f"--{key}={value}")
        self.proc = None
        self._log = None
        self.runs = 0
        try:
            self.start(wait_devices)
        except BaseException:
            self.kill()
            raise

    # --- process
    def start(self, wait_devices=True, timeout=20):
        """Starts the server (again, on the same port and data: a restart)."""
        assert self.proc is None, "already running"
        self.runs += 1
        self._log = open(os.path.join(self.dir, f"server-{self.runs}.log"), "wb")
        self.proc = subprocess.Popen(self.args, cwd=self.dir, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        wait_for(self._healthy, timeout=timeout, message=lambda: "no /healthz\n" + self.log_tail())
        if wait_devices and self.devices:
            wait_for(self._devices_up, timeout=timeout,
                     message=lambda: "devices not online\n" + self.log_tail())

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"tmx-server exited {self.proc.returncode}\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _devices_up(self):
        env = self.api("GET", "/device")
        devs = (env.get("data") or {}).get("devices") or []
        return len([d for d in devs if d["state"] != "offline"]) >= self.devices

    def stop(self, timeout=20):
        """SIGTERM, wait, assert exit status 0 (the data directory stays until close())."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"tmx-server did not exit after SIGTERM\n{self.log_tail()}")
        self.proc = None
        self._log.close()
        assert code == 0, f"tmx-server exited {code}\n{self.log_tail()}"

    def restart(self):
        self.stop()
        self.start()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self._log:
            self._log.close()

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=40):
        path = os.path.join(self.dir, f"server-{self.runs}.log")
        try:
            with open(path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        try:
            if kind is None:
                self.stop()
        finally:
            self.close()

    # --- API
    def api(self, method, path, body=None, token=None):
        """The parsed envelope of /api/v1<path> (path may also start with /api/)."""
        if not path.startswith("/api/"):
            path = "/api/v1" + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        tok = self.token if token is None else token
        if tok:
            req.add_header("Authorization", f"Bearer {tok}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read())

    def data(self, method, path, body=None):
        """The data of a successful call (asserts code 0)."""
        env = self.api(method, path, body)
        assert env["code"] == 0, f"{method} {path}: {env}"
        return env["data"]

    def create(self, serials, script="post", config=None, **more):
        """POST /task; returns the task ids."""
        body = {"serials": list(serials), "script_name": script, "script_config": config or {}}
        body.update(more)
        return self.data("POST", "/task", body)["task_ids"]


# --- browser
def browser(width=1280, height=800):
    """Headless Chromium with the browser log kept (console_errors)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=opts)
    # The viewport itself at the size asked for (a phone: 390x844).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return driver


def console_errors(driver):
    """The SEVERE entries of the browser log since the last call (reading empties it)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver, name):
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
    driver.save_screenshot(path)
    return path


def wait_for(driver_or_fn, condition=None, timeout=10, message=""):
    """wait_for(driver, lambda d: ..., 10) or wait_for(lambda: ..., timeout=10):
    polls (every 50 ms) until the condition is truthy and returns its value;
    message: a string or a function giving one, for the failure. An element
    that went stale or away while the condition read it (the page re-drew
    it) counts as "not yet", not as a failure."""
    if condition is None:
        target, cond = None, (lambda _: driver_or_fn())
    else:
        target, cond = driver_or_fn, condition
    try:
        return WebDriverWait(target, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,
                                                 NoSuchElementException)).until(cond)
    except TimeoutException as e:  # say what was awaited
        text = message() if callable(message) else message
        raise AssertionError(f"wait_for timed out after {timeout} s: {text}") from e


def tid(testid, /, **data):
    """CSS selector of a data-testid, e.g. tid("task-row", id=7)."""
    sel = f'[data-testid="{testid}"]'
    for k, v in data.items():
        sel += f'[data-{k.replace("_", "-")}="{v}"]'
    return sel


def find(driver, css):
    return driver.find_elements(By.CSS_SELECTOR, css)


def wait_css(driver, css, timeout=10, visible=True):
    """The first element matching css once it is there (and displayed)."""
    def ready(d):
        els = d.find_elements(By.CSS_SELECTOR, css)
        els = [e for e in els if e.is_displayed()] if visible else els
        return els[0] if els else False
    return wait_for(driver, ready, timeout, message=f"no element {css}")


def open_page(driver, farm, hash_path="#/", live=True, timeout=15):
    """Loads the dashboard at hash_path; with live, waits for the event stream."""
    driver.get(farm.url + "/" + hash_path)
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", timeout)
    if live:
        wait_css(driver, tid("live-status") + '[data-status="live"]', timeout)


def show(driver, farm, hash_path, testid):
    """A fresh document at hash_path (reloaded even when only the hash
    changed), once the stream is live and `testid` is shown."""
    driver.get(farm.url + "/" + hash_path)
    driver.refresh()
    wait_css(driver, tid("live-status") + '[data-status="live"]', 15)
    return wait_css(driver, tid(testid))


def errors_but_refusals(driver):
    """console_errors but for Chromium's own line about a request the server
    answered 400 (a 40001 the test provoked and the page shows)."""
    return [e for e in console_errors(driver)
            if not (e.get("source") == "network" and "/api/v1/" in e["message"]
                    and "status of 400" in e["message"])]


def goto(driver, hash_path):
    """Navigates inside the page (no reload)."""
    driver.execute_script("location.hash = arguments[0]", hash_path)


class DashboardCase:
    """Mixin for unittest.TestCase: one Farm (FARM options) and one browser
    (WINDOW size) per class; the browser log is emptied before each test.

        class TasksTest(DashboardCase, unittest.TestCase):
            FARM = {"task_duration": "30s"}
    """

    FARM = {}
    WINDOW = (1280, 800)

    @classmethod
    def setUpClass(cls):
        cls.farm = Farm(**cls.FARM)
        try:
            cls.driver = browser(*cls.WINDOW)
        except BaseException:
            cls.farm.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.driver.quit()
        finally:
            with cls.farm:
                pass

    def setUp(self):
        self.driver.get_log("browser")

    def open(self, hash_path="#/", live=True):
        open_page(self.driver, self.farm, hash_path, live=live)

    def assertNoConsoleErrors(self):
        errors = console_errors(self.driver)
        self.assertEqual(errors, [], "console errors")

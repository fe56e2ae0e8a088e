#!/usr/bin/env python3
"""The embedded master's status page, in a real browser (headless Chromium).

    status_page_test.py [--source-dir DIR] [--chromium PATH]
                        [--chromedriver PATH] BIN_DIR

Run through tests/e2e/status_page_test.sh, which skips it when what it
needs is missing. It runs `BIN_DIR/mesos-launch specs/webserver.yaml` from
the source tree (an embedded cluster; TMPDIR and --state-dir in a fresh
temporary folder), waits for its line "mesos-launch: status page: URL",
opens URL and checks, waiting on conditions with deadlines (never on
fixed sleeps):

- the webserver task's row (tr.task, data-task-id "webserver...") comes
  to data-state TASK_RUNNING and data-healthy "true", with the indicator
  #connection "connected";
- its service link (a.service) answers "Hello from Server";
- its output panel, opened with the row's stdout button, reads that file
  from the agent, and shows a line the test then appends to the file in
  the task's sandbox (the executor itself writes nothing there while it
  serves), the whole file as it is;
- everything the page loaded came from the cluster (its master and
  agent), nothing from elsewhere;
- after SIGINT to mesos-launch, the row comes to TASK_KILLED, the page was
  not reloaded for it (window.statusPage.loadedAt unchanged), mesos-launch
  exits 0, and once the cluster is gone the page says "disconnected" and
  still shows the task KILLED;
- the browser's console has no JavaScript error.

With SCREENSHOT=FILE in the environment, a 1280x800 screenshot of the page
is saved to FILE while the task is running and healthy. On failure it
prints the browser's console and mesos-launch's output. The process and
the browser are always ended.
Exit 0 when all hold, 1 otherwise.
"""

import argparse
import glob
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

STATUS_PAGE_LINE = re.compile(r"^mesos-launch: status page: (http://\S+)$")
START_SECONDS = 60  # the status page line, after mesos-launch starts
RUNNING_SECONDS = 90  # the task running and healthy, after the page opens
OUTPUT_SECONDS = 30  # the output panel reading, then showing a new line
STOP_SECONDS = 60  # the task killed, mesos-launch ended, after SIGINT
OUTPUT_FILE = "stdout"  # the file the output panel is checked on


class Failure(Exception):
    pass


class Launcher:
    """mesos-launch as a child process; its stdout and stderr are copied
    to files as they come, and their lines queued for wait_for_line."""

    def __init__(self, command, cwd, env, folder):
        self.lines = queue.Queue()
        self.paths = {name: os.path.join(folder, "mesos-launch." + name)
                      for name in ("out", "err")}
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.copiers = [
            threading.Thread(target=self._copy, args=(self.process.stdout, self.paths["out"]),
                             daemon=True),
            threading.Thread(target=self._copy, args=(self.process.stderr, self.paths["err"]),
                             daemon=True),
        ]
        for copier in self.copiers:
            copier.start()

    def _copy(self, stream, path):
        with open(path, "wb") as out:
            for line in iter(stream.readline, b""):
                out.write(line)
                out.flush()
                self.lines.put(line.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)  # this stream ended

    def wait_for_line(self, pattern, seconds):
        """The first match of `pattern` in a line of either stream, within
        `seconds`; fails when both streams end first."""
        deadline = time.monotonic() + seconds
        ended = 0
        while ended < len(self.copiers):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                ended += 1
                continue
            match = pattern.match(line)
            if match:
                return match
        if ended == len(self.copiers):
            raise Failure("mesos-launch ended (exit %s) before printing %r"
                          % (self.process.wait(), pattern.pattern))
        raise Failure("no line matching %r within %d s" % (pattern.pattern, seconds))

    def output(self):
        text = []
        for name, path in self.paths.items():
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text.append("--- mesos-launch std%s\n%s" % (name, f.read()))
            except OSError:
                pass
        return "\n".join(text)

    def stop(self):
        """Ends the process if it still runs: SIGTERM, then SIGKILL."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for copier in self.copiers:
            copier.join(timeout=5)


# The webserver task's row as plain values, read in one script so that a
# re-render between two reads cannot mix two rows (or leave a stale one).
ROW_SCRIPT = """
const row = document.querySelector('tr.task[data-task-id^="webserver"]');
if (!row) return null;
return {
  id: row.dataset.taskId,
  framework: row.dataset.frameworkId,
  state: row.dataset.state,
  healthy: row.dataset.healthy,
  services: [...row.querySelectorAll('a.service')].map((a) => a.href),
};
"""


def task_row(driver):
    return driver.execute_script(ROW_SCRIPT)


def running_and_healthy(driver):
    row = task_row(driver)
    return row if row and row["state"] == "TASK_RUNNING" and row["healthy"] == "true" else None


def element_data(driver, element_id, name):
    return driver.execute_script(
        "return document.getElementById(arguments[0]).dataset[arguments[1]]", element_id, name)


def panel_text(driver):
    return driver.execute_script("return document.getElementById('output-text').textContent")


def sandbox_file(folder, framework_id, name):
    """The file `name` of the one executor sandbox of `framework_id` under
    the embedded cluster's work dir (TMPDIR=folder: folder/mesos-launch.*)."""
    pattern = os.path.join(folder, "mesos-launch.*", "slaves", "*", "frameworks",
                           glob.escape(framework_id), "executors", "*", "runs", "*", name)
    found = [path for path in glob.glob(pattern)
             if os.path.basename(os.path.dirname(path)) != "latest"]
    if len(found) != 1:
        raise Failure("expected one sandbox %s matching %s, found %r" % (name, pattern, found))
    return found[0]


def click(driver, selector):
    """Clicks the element `selector` names, found and clicked in one script
    (rows are rebuilt on each event: one found earlier may be gone)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e;", selector)


def wait(driver, seconds, condition, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(
            condition)
    except TimeoutException:
        raise Failure("%s: not within %d s" % (what, seconds)) from None


def fetch(url):
    # The service is on loopback: no proxy from the environment applies.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", "replace")


def start_browser(chromium, chromedriver):
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,800", "--force-color-profile=srgb",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    # The viewport itself at 1280x800, whatever the window's frame takes.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


def run(args, folder, console):
    # The browser starts first, so that the page opens as soon as its URL
    # is printed.
    driver = start_browser(args.chromium, args.chromedriver)
    env = dict(os.environ, TMPDIR=folder, XDG_STATE_HOME=os.path.join(folder, "state"))
    launcher = Launcher([os.path.join(args.bin_dir, "mesos-launch"),
                         "--state-dir", os.path.join(folder, "state"), "specs/webserver.yaml"],
                        cwd=args.source_dir, env=env, folder=folder)
    try:
        url = launcher.wait_for_line(STATUS_PAGE_LINE, START_SECONDS).group(1)
        print("status page at %s" % url)
        driver.get(url)

        row = wait(driver, RUNNING_SECONDS, running_and_healthy,
                   "the webserver task RUNNING and healthy")
        print("task %s RUNNING and healthy" % row["id"])
        connection = element_data(driver, "connection", "state")
        if connection != "connected":
            raise Failure("#connection says %r while the task runs" % connection)

        if len(row["services"]) != 1:
            raise Failure("expected one service link, found %r" % row["services"])
        status, body = fetch(row["services"][0])
        if status != 200 or "Hello from Server" not in body:
            raise Failure("%s answered %d %r" % (row["services"][0], status, body[:200]))
        print("%s answers Hello from Server" % row["services"][0])

        if os.environ.get("SCREENSHOT"):
            if not driver.save_screenshot(os.environ["SCREENSHOT"]):
                raise Failure("could not save the screenshot to %s" % os.environ["SCREENSHOT"])
            print("screenshot saved to %s" % os.environ["SCREENSHOT"])

        # The output panel. The executor serving specs/webserver.yaml writes
        # nothing to its stdout or stderr (both stay empty while it runs), so
        # the test writes a line of its own into the task's stdout in the
        # sandbox, with the panel open, and waits for the panel to show the
        # file as it now is: the page follows the file live from the agent.
        button = 'tr.task[data-task-id="%s"] button[data-file="%s"]' % (row["id"], OUTPUT_FILE)
        if not click(driver, button):
            raise Failure("no %s button in the task's row" % OUTPUT_FILE)
        wait(driver, OUTPUT_SECONDS, lambda d: element_data(d, "output", "state") == "following",
             "the %s panel reading the file from the agent" % OUTPUT_FILE)
        path = sandbox_file(folder, row["framework"], OUTPUT_FILE)
        marker = "status_page_test: a line written at %s\n" % time.strftime("%H:%M:%S")
        with open(path, "a", encoding="utf-8") as out:
            out.write(marker)

        def shows_the_file(d):
            with open(path, encoding="utf-8", errors="replace") as f:
                content = f.read()
            return marker in content and panel_text(d) == content

        wait(driver, OUTPUT_SECONDS, shows_the_file,
             "the %s panel showing the file with the line the test wrote" % OUTPUT_FILE)
        if element_data(driver, "output", "state") != "following":
            raise Failure("the output panel is in state %r, not following"
                          % element_data(driver, "output", "state"))
        print("the %s panel follows %s" % (OUTPUT_FILE, path))

        # Everything the page loaded is the cluster's: the master's origin
        # and the agent's (loopback), nothing fetched from elsewhere.
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map((e) => e.name)")
        outside = [name for name in loaded
                   if not re.match(r"^http://127\.\d+\.\d+\.\d+(:\d+)?/", name)]
        if outside:
            raise Failure("the page loaded from outside the cluster: %r" % outside)

        loaded_at = driver.execute_script("return window.statusPage.loadedAt")
        events = driver.execute_script("return window.statusPage.events")
        print("page loaded at %d, %d events so far; stopping mesos-launch" % (loaded_at, events))
        launcher.process.send_signal(signal.SIGINT)

        def killed(d):
            now = task_row(d)
            return now and now["id"] == row["id"] and now["state"] == "TASK_KILLED"

        wait(driver, STOP_SECONDS, killed, "the task's row TASK_KILLED")
        print("task %s KILLED on the page" % row["id"])
        if driver.execute_script("return window.statusPage.loadedAt") != loaded_at:
            raise Failure("the page was reloaded (window.statusPage.loadedAt changed)")

        try:
            code = launcher.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            raise Failure("mesos-launch still runs %d s after SIGINT" % STOP_SECONDS) from None
        if code != 0:
            raise Failure("mesos-launch exited %d after SIGINT, not 0" % code)
        print("mesos-launch exited 0")

        wait(driver, STOP_SECONDS,
             lambda d: element_data(d, "connection", "state") == "disconnected",
             "#connection disconnected once the cluster is gone")
        last = task_row(driver)
        if not last or last["state"] != "TASK_KILLED":
            raise Failure("disconnected, the page no longer shows the task KILLED: %r" % last)
        if driver.execute_script("return window.statusPage.loadedAt") != loaded_at:
            raise Failure("the page was reloaded (window.statusPage.loadedAt changed)")
        print("disconnected; the last state is still shown")

        console.extend(driver.get_log("browser"))
        errors = [entry for entry in console
                  if entry.get("level") == "SEVERE" and entry.get("source") == "javascript"]
        if errors:
            raise Failure("JavaScript errors in the console: %r" % errors)
    except Exception as error:  # any failure: say what the page and the run showed
        try:
            console.extend(driver.get_log("browser"))
        except WebDriverException:
            pass
        print("FAIL: %s" % error, file=sys.stderr)
        print("--- browser console", file=sys.stderr)
        for entry in console:
            print("%s %s %s" % (entry.get("level"), entry.get("source"), entry.get("message")),
                  file=sys.stderr)
        launcher.stop()
        print(launcher.output(), file=sys.stderr)
        return 1
    finally:
        driver.quit()
        launcher.stop()
    print("PASS: the status page follows the run live")
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bin_dir", help="the folder of mesos-launch")
    parser.add_argument("--source-dir", default=os.path.normpath(os.path.join(here, "..", "..")))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    folder = tempfile.mkdtemp(prefix="status-page-test.")
    try:
        return run(args, folder, [])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Drive Debian's headless Chromium against `teletrack serve` and check
the dashboard in a real browser.

No dependency beyond Python's standard library and the chromium package:
the DevTools protocol runs over a pipe (--remote-debugging-pipe: commands
on fd 3, replies and events on fd 4, each message JSON ended by NUL), so
neither a WebSocket client nor chromedriver is needed.

Usage: browser.py SPEC.json
SPEC: {"base": "http://127.0.0.1:PORT", "artifacts": DIR,
       "session": ID, "lanes": N, "participants": N,
       "sessions": N (after live_cmd booked one more),
       "duration": "S", "billable": "S", "hostile": [NAME, ...],
       "live_cmd": [ARGV...], "live_text": TEXT}
Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
Every wait is bounded; Chromium is killed on the way out.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from ttcheck import FAILED, fail, ok


def check(cond, what):
    (ok if cond else fail)(what)


class Browser:
    """One Chromium, one page, the DevTools protocol over a pipe."""

    def __init__(self, profile):
        self.seq = 0
        self.buf = b""
        self.events = []
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # fd 3: commands in, fd 4: replies out.
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        exe = shutil.which("chromium") or "/usr/bin/chromium"
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-default-apps",
             "--hide-scrollbars", "--mute-audio",
             "--user-data-dir=" + profile, "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, "chromium.log"), "wb"),
            preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        targets = self.call("Target.getTargets")["targetInfos"]
        page = [t for t in targets if t["type"] == "page"]
        tid = page[0]["targetId"] if page else \
            self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=tid,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable", session=True)

    def send(self, method, session=False, **params):
        self.seq += 1
        msg = {"id": self.seq, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.seq

    def read(self, deadline):
        """The next message, or None at the deadline."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.from_chrome], [], [], left)
            if not r:
                return None
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=False, timeout=30, **params):
        want = self.send(method, session, **params)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(deadline)
            if msg is None:
                raise RuntimeError("no answer to " + method)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(method + ": " + str(msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.event(msg)

    def event(self, msg):
        self.events.append(msg)
        if msg["method"] == "Page.javascriptDialogOpening":
            # A hostile name ran script: record it and let the page go on.
            self.send("Page.handleJavaScriptDialog", session=True,
                      accept=True)

    def pump(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            msg = self.read(deadline)
            if msg is None:
                return
            if "method" in msg:
                self.event(msg)

    def navigate(self, url, timeout=20):
        start = len(self.events)
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while not any(e["method"] == "Page.loadEventFired"
                      for e in self.events[start:]):
            msg = self.read(deadline)
            if msg is None:
                raise RuntimeError("page did not load: " + url)
            if "method" in msg:
                self.event(msg)
        self.pump(0.3)          # late console messages

    def js(self, expr):
        r = self.call("Runtime.evaluate", session=True, expression=expr,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %s: %s" %
                               (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self, path):
        h = self.js("Math.ceil(document.documentElement.scrollHeight)") or 900
        self.call("Emulation.setDeviceMetricsOverride", session=True,
                  width=1280, height=min(int(h), 6000), deviceScaleFactor=1,
                  mobile=False)
        data = self.call("Page.captureScreenshot", session=True,
                         format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        self.call("Emulation.clearDeviceMetricsOverride", session=True)

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def problems(events, base):
    """Console errors, exceptions, dialogs, requests leaving the server."""
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append("exception: %s" % p["exceptionDetails"].get("text"))
        elif m == "Runtime.consoleAPICalled" and p["type"] in ("error",
                                                               "assert"):
            out.append("console.%s: %s" % (p["type"], [
                a.get("value", a.get("description")) for a in p["args"]]))
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            out.append("log: %s" % p["entry"]["text"])
        elif m == "Page.javascriptDialogOpening":
            out.append("a script opened a dialog: %s" % p.get("message"))
        elif m == "Network.requestWillBeSent":
            url = p["request"]["url"]
            # data: URLs are the browser's own (the date input's icon):
            # nothing leaves the machine for them.
            if not (url.startswith(base + "/") or url == "about:blank" or
                    url.startswith("data:")):
                out.append("request left the server: " + url)
    return out


def main():
    spec = json.load(open(sys.argv[1]))
    base, art = spec["base"], spec["artifacts"]
    os.makedirs(art, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="teletrack-chromium.")
    b = None
    try:
        b = Browser(profile)
        requests = 0

        # Now: the recorded appointment is today's; then live refresh.
        b.navigate(base + "/")
        check(b.js("document.querySelector('main[data-live]') !== null"),
              "Now is live")
        check(b.js("document.getElementById('today-table') !== null"),
              "Now lists today's appointments")
        check(b.js("document.querySelector('a[href=\"/sessions/%d\"]')"
                   " !== null" % spec["session"]),
              "Now links the session to its page")
        b.screenshot(os.path.join(art, "now.png"))
        subprocess.run(spec["live_cmd"], check=True,
                       stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        seen = False
        while time.monotonic() < deadline and not seen:
            b.pump(0.5)
            seen = b.js("document.querySelector('main').textContent"
                        ".indexOf(%s) >= 0" % json.dumps(spec["live_text"]))
        check(seen, "Now showed a new booking without a reload")
        check((b.js("document.querySelector('main')"
                    ".getAttribute('data-refreshed')") or "0") != "0",
              "Now refreshed itself")

        # Sessions: one row per session, each linked.
        b.navigate(base + "/sessions")
        rows = b.js("document.querySelectorAll('#sessions-table tbody tr')"
                    ".length")
        check(rows == spec["sessions"], "sessions listed: %s of %s" %
              (rows, spec["sessions"]))
        check(b.js("document.querySelectorAll('#sessions-table tbody tr "
                   "td[data-col=id] a').length") == rows,
              "every session linked")
        b.screenshot(os.path.join(art, "sessions.png"))
        b.navigate(base + "/sessions?sort=duration&dir=asc")
        check(b.js("document.querySelector('th[aria-sort=ascending]')"
                   " !== null"), "sorted by a column")

        # One session: a lane per participant, the figures, hostile names.
        url = "%s/sessions/%d" % (base, spec["session"])
        b.navigate(url)
        lanes = b.js("document.querySelectorAll('svg.timeline g.lane')"
                     ".length")
        check(lanes == spec["lanes"], "timeline lanes: %s, participant "
              "rows: %s" % (lanes, spec["lanes"]))
        parts = b.js("document.querySelectorAll('#participants-table "
                     "tbody tr').length")
        check(parts == spec["participants"], "participants table: %s" %
              parts)
        for field in ("total_duration_seconds", "billable_seconds",
                      "participant_count", "total_disconnections"):
            got = b.js("(document.querySelector('#session-fields "
                       "dd[data-field=%s]') || {}).textContent" % field)
            check(got == spec[field], "%s shown %s, stored %s" %
                  (field, got, spec[field]))
        text = b.js("document.body.textContent")
        for name in spec["hostile"]:
            check(name in text, "hostile name shown as text: %s" % name)
        check(b.js("document.querySelectorAll('img').length") == 0,
              "no <img> element made from a name")
        check(b.js("Array.from(document.scripts).map(s => s.src).join()")
              == base + "/static/app.js", "the only script is app.js")
        check(b.js("document.querySelectorAll('svg.timeline rect.speaking')"
                   ".length") > 0, "speaking drawn")
        check(b.js("document.querySelectorAll('svg.timeline "
                   "g.mark[data-kind=drop]').length") >= 1, "drops drawn")
        check(b.js("document.querySelectorAll('svg.timeline "
                   "rect.interrupted').length") >= 1,
              "resumed interruption drawn")
        check(b.js("document.querySelectorAll('svg.timeline "
                   "g.track[data-track=billable] rect').length") >= 1,
              "billable overlap drawn")
        b.screenshot(os.path.join(art, "session.png"))

        # Reports: charts and tables.
        b.navigate(base + "/reports")
        for cid in ("chart-daily", "chart-quality", "chart-noshow"):
            check(b.js("document.querySelector('#%s svg') !== null" % cid),
                  "chart %s" % cid)
        for tid in ("billing-table", "attendance-table", "alerts-table"):
            check(b.js("document.getElementById('%s') !== null" % tid),
                  "report %s" % tid)
        b.screenshot(os.path.join(art, "reports.png"))

        # JavaScript off: the same session page, complete.
        b.call("Emulation.setScriptExecutionDisabled", session=True,
               value=True)
        b.navigate(url)
        check(b.js("document.querySelectorAll('svg.timeline g.lane')"
                   ".length") == spec["lanes"],
              "with JavaScript off the timeline is there")
        b.screenshot(os.path.join(art, "session-nojs.png"))
        b.call("Emulation.setScriptExecutionDisabled", session=True,
               value=False)

        requests = sum(1 for e in b.events
                       if e["method"] == "Network.requestWillBeSent")
        bad = problems(b.events, base)
        for p in bad:
            fail(p)
        check(not bad and requests > 0, "%d requests, all to the server; no "
              "console error, exception or dialog" % requests)
    except Exception as e:          # a hang or protocol error is a failure
        fail("browser: %s" % e)
    finally:
        if b is not None:
            b.close()
        log = os.path.join(profile, "chromium.log")
        if FAILED and os.path.exists(log):
            shutil.copy(log, os.path.join(art, "chromium.log"))
        shutil.rmtree(profile, ignore_errors=True)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

"""The demo page in a real browser: Debian's headless Chromium, driven over the DevTools
protocol (python3-websocket), against the real server binary.

Opens http://127.0.0.1:<http-port>/?key=q, types "a", "ap", "app" key by key and checks after
each that the listed suggestions and their frequencies are ACTOPK's for that prefix, in
ranking order; highlights the first with the down arrow and presses Enter, and checks that its
frequency went up by one on the server and on the page; switches the key selector and checks
the other dictionary's suggestions; waits for the live chart to have drawn from /metrics; saves
a screenshot (the README's) to the path given.

Every process (the server, Chromium) is started here and stopped by pid; every wait is
bounded. Exit status 0 when all holds. Usage: browser_test.py <typeahead-server> <screenshot.png>
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import redis
import websocket
from harness import check, finish, free_port, say, start_server, stop_all, wait_for

SERVER, SHOT = sys.argv[1], sys.argv[2]

WORDS = {
    "q": {"apple": 40, "apple pie": 12, "application": 25, "apply": 18, "appetite": 7,
          "apricot": 9, "april": 24, "approach": 11, "appointment": 5, "app store": 22,
          "apps": 3, "applause": 2, "appendix": 4, "banana": 30, "avocado": 35, "almond": 28},
    "cities": {"amsterdam": 9, "athens": 7, "austin": 5, "berlin": 11},
}


class PageError(OSError):
    """A script that threw in the page (say, before it loaded): an OSError, so that the
    harness's bounded waits take it for "not yet"."""


class Cdp:
    """One DevTools protocol session with a page."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise PageError(f"{expression}: {r['exceptionDetails'].get('exception')}")
        return r["result"].get("value")

    def key(self, key, text=None, code=None, vk=None):
        down = {"type": "keyDown", "key": key, "code": code or key,
                "windowsVirtualKeyCode": vk or 0}
        if text is not None:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", **down)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code or key,
                  windowsVirtualKeyCode=vk or 0)

    def type_char(self, ch):
        self.key(ch, text=ch, code="Key" + ch.upper(), vk=ord(ch.upper()))


def start_chromium(work):
    profile = os.path.join(work, "chromium")
    os.makedirs(profile)
    log = open(os.path.join(work, "chromium.log"), "w")
    proc = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={profile}",
         "--window-size=760,720", "about:blank"],
        stdout=log, stderr=subprocess.STDOUT)
    port_file = os.path.join(profile, "DevToolsActivePort")
    wait_for(lambda: os.path.exists(port_file) and open(port_file).read().count("\n") >= 1, 30,
             "Chromium starts its DevTools endpoint")
    devtools = int(open(port_file).read().split()[0])
    pages = []
    def page_target():
        with urllib.request.urlopen(f"http://127.0.0.1:{devtools}/json/list", timeout=5) as f:
            pages[:] = [t for t in json.load(f) if t.get("type") == "page"]
        return pages
    wait_for(page_target, 20, "Chromium has a page")
    return proc, Cdp(pages[0]["webSocketDebuggerUrl"])


def shown(cdp):
    """The prefix the page's list answers, and its (term, freq) rows."""
    return cdp.eval("""(() => {
        const list = document.getElementById('list');
        return [list.dataset.prefix, [...list.querySelectorAll('li')].map(li =>
            [li.querySelector('.term').textContent, Number(li.querySelector('.freq').textContent)])];
    })()""")


def expected(r, key, prefix):
    flat = r.execute_command("ACTOPK", key, prefix, 10, "WITHSCORES")
    return [[flat[i].decode(), int(flat[i + 1])] for i in range(0, len(flat), 2)]


def main():
    work = tempfile.mkdtemp(prefix="typeahead-browser-")
    procs = []
    try:
        port, http_port = free_port(), free_port()
        procs.append(start_server(SERVER, work, "server", port, "--http-port", str(http_port)))
        r = redis.Redis(port=port, socket_timeout=10)
        wait_for(r.ping, 10, "the server answers")
        for key, words in WORDS.items():
            for word, freq in words.items():
                r.execute_command("ACINCRBY", key, word, freq)

        chromium, cdp = start_chromium(work)
        procs.append(chromium)
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Page.navigate", url=f"http://127.0.0.1:{http_port}/?key=q")
        # The list may first show another state (the fetch for q not yet answered): wait for
        # q's own global top 10, which the check below then holds to.
        wait_for(lambda: cdp.eval("document.getElementById('key').value") == "q" and
                 shown(cdp) == ["", expected(r, "q", "")], 20,
                 "the page loads with key q and the global top-k", say_ok=True)
        check(shown(cdp)[1] == expected(r, "q", ""), "before typing: the global top 10")
        cdp.eval("document.getElementById('q').focus()")

        typed = ""
        for ch in "app":
            typed += ch
            cdp.type_char(ch)
            wait_for(lambda: shown(cdp)[0] == typed, 10, f"the page answers {typed!r}")
            prefix, rows = shown(cdp)
            want = expected(r, "q", typed)
            check(rows == want and len(rows) > 1,
                  f"typed {typed!r}: the page lists ACTOPK's {len(want)} terms in ranking order")
            say(f"  {typed!r}: {rows[:4]}...")
        status = cdp.eval("document.getElementById('status').textContent")
        check("took" in status and "µs" in status, f"the page shows the server's time: {status!r}")

        first, freq = shown(cdp)[1][0]
        cdp.key("ArrowDown", code="ArrowDown", vk=40)
        check(cdp.eval("document.querySelector('#list li.sel .term').textContent") == first,
              "the down arrow highlights the first suggestion")
        cdp.key("Enter", text="\r", code="Enter", vk=13)
        wait_for(lambda: cdp.eval("document.getElementById('status').dataset.recorded") == first,
                 10, "Enter records the highlighted term", say_ok=True)
        check(int(r.execute_command("ACSCORE", "q", first)) == freq + 1,
              f"{first!r} went from {freq} to {freq + 1} on the server")
        wait_for(lambda: dict(map(tuple, shown(cdp)[1])).get(first) == freq + 1, 10,
                 "the page lists its new frequency", say_ok=True)

        # Click records too: the third suggestion.
        third, third_freq = shown(cdp)[1][2]
        box = cdp.eval("""(() => { const r = document.querySelectorAll('#list li')[2]
            .getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()""")
        for kind in ("mousePressed", "mouseReleased"):
            cdp.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                     clickCount=1)
        wait_for(lambda: int(r.execute_command("ACSCORE", "q", third)) == third_freq + 1, 10,
                 f"a click records {third!r}", say_ok=True)

        cdp.eval("""(() => { const s = document.getElementById('key'); s.value = 'cities';
            s.dispatchEvent(new Event('change')); })()""")
        cdp.eval("document.getElementById('q').value = 'a'; "
                 "document.getElementById('q').dispatchEvent(new Event('input'))")
        wait_for(lambda: shown(cdp)[1] == expected(r, "cities", "a"), 10,
                 "the key selector switches the dictionary", say_ok=True)

        # Back to q and "app" for the screenshot, once the chart has points from /metrics.
        cdp.eval("""(() => { const s = document.getElementById('key'); s.value = 'q';
            const q = document.getElementById('q'); q.value = 'app';
            q.dispatchEvent(new Event('input')); })()""")
        # Some traffic for the chart to show: bounded in count and time.
        load = subprocess.Popen(["redis-benchmark", "-p", str(port), "-c", "4", "-n", "200000",
                                 "-q", "ACTOPK", "q", "app", "10"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(load)
        wait_for(lambda: cdp.eval("rps.length") >= 4 and cdp.eval("rps[rps.length - 1]") > 100,
                 20, "the live chart draws requests per second from /metrics", say_ok=True)
        check(cdp.eval("p99[p99.length - 1]") > 0, "...and the last second's p99")
        wait_for(lambda: shown(cdp)[0] == "app", 10, "the page shows 'app' again")
        height = cdp.eval("document.documentElement.scrollHeight")
        cdp.call("Emulation.setDeviceMetricsOverride", width=760, height=height + 20,
                 deviceScaleFactor=1, mobile=False)
        time.sleep(1.2)  # one more tick of the chart at the new size
        shot = cdp.call("Page.captureScreenshot", format="png")
        with open(SHOT, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        check(os.path.getsize(SHOT) > 10000, f"a screenshot saved to {SHOT}")
        load.terminate()
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

"""Open a page in headless Chromium and report what a reader would see: whether every image
loaded, what the console said, and a full-page screenshot.

Chromium is driven through its DevTools protocol over a pipe (`--remote-debugging-pipe`:
JSON messages, each ended by a NUL byte, written to the browser on fd 3 and read from it on
fd 4), so no browser-automation package and no browser download are needed: only Debian's
`chromium` (which `.ci/run` installs).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_SECONDS = 60

IMAGES_SCRIPT = """JSON.stringify(Array.from(document.images).map(image => ({
  alt: image.alt, complete: image.complete, width: image.naturalWidth,
  inline: image.src.startsWith("data:")})))"""
EXTERNAL_SCRIPT = """JSON.stringify(Array.from(document.querySelectorAll(
  "[src], link[href], script[src]")).map(e => e.getAttribute("src") || e.getAttribute("href"))
  .filter(url => !url.startsWith("data:")))"""


def chromium() -> str | None:
    """The Chromium program, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    """What the page did in the browser."""

    images: list[dict] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    title: str = ""
    screenshot: Path | None = None


class _Pipe:
    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.process, self.to_browser, self.from_browser = process, to_browser, from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium exited (code {self.process.poll()})")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event


def _console_errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(params["entry"].get("text", ""))
    return errors


def render(page: Path, screenshot: Path, width: int = 1280) -> Rendered:
    """Load `page` (a local HTML file) in headless Chromium, wait for it to load, and return
    its images' state, any non-inline resources, console errors and a full-page screenshot
    (written to `screenshot`)."""
    program = chromium()
    if program is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    to_read, to_browser = os.pipe()  # the browser reads commands on fd 3
    from_browser, to_write = os.pipe()  # and writes answers on fd 4
    profile = tempfile.mkdtemp(prefix="hubsim-chromium-")

    def wire_fds() -> None:
        # Copied out of the way first: either end may itself be fd 3 or 4.
        reads, writes = os.dup(to_read), os.dup(to_write)
        os.dup2(reads, 3)
        os.dup2(writes, 4)

    process = subprocess.Popen(
        [
            program,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            f"--window-size={width},900",
            "about:blank",
        ],
        # Not close_fds: subprocess would close fds 3 and 4 after wire_fds made them.
        close_fds=False,
        preexec_fn=wire_fds,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_read)
    os.close(to_write)
    pipe = _Pipe(process, to_browser, from_browser)
    try:
        target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.call(f"{domain}.enable", session)
        pipe.call("Page.navigate", session, url=page.resolve().as_uri())
        pipe.wait_for("Page.loadEventFired")

        def evaluate(script: str):
            result = pipe.call("Runtime.evaluate", session, expression=script, returnByValue=True)
            return result["result"]["value"]

        rendered = Rendered(
            images=json.loads(evaluate(IMAGES_SCRIPT)),
            external=json.loads(evaluate(EXTERNAL_SCRIPT)),
            title=evaluate("document.title"),
        )
        size = pipe.call("Page.getLayoutMetrics", session)["cssContentSize"]
        shot = pipe.call(
            "Page.captureScreenshot",
            session,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        rendered.screenshot = screenshot
        rendered.console_errors = _console_errors(pipe.events)
        with contextlib.suppress(RuntimeError):  # it may close before it answers
            pipe.call("Browser.close")
        return rendered
    finally:
        os.close(to_browser)
        os.close(from_browser)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)

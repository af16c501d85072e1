"""Debian's Chromium, headless through Playwright, the way the page tests use it: with a fake
camera that plays a y4m file (tests/media.write_y4m) in a loop, or with the camera denied;
and the preview server as its user's browser reaches it (through the runtime dir's file)."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.processes import web_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_args(camera: Path | None) -> list[str]:
    """Command-line switches: `camera` plays as the webcam (permission granted), or None for
    a machine whose camera permission is refused."""
    if camera is None:
        return ["--deny-permission-prompts"]
    return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]


def picture(page, selector: str) -> dict:
    """The <img> in `selector` once decoded: where it came from, its alt text, whether it
    loaded (a picture the server did not serve has no width)."""
    return page.locator(f"{selector} img").evaluate(
        "async img => { await img.decode().catch(() => {});"
        " return {src: img.getAttribute('src'), alt: img.alt, loaded: img.naturalWidth > 0}; }")


@dataclass(frozen=True)
class Preview:
    """A running `face2emoji web` as its user knows it: the port, and the runtime dir (the
    XDG_RUNTIME_DIR it was started with) that holds the files opening its page."""

    port: int
    runtime: Path

    def opener(self, calibrate: bool = False) -> str:
        """What the browser is opened on: a file that sends it to the page with the secret."""
        name = f"{'calibrate' if calibrate else 'preview'}-{self.port}.html"
        return (self.runtime / "face2emoji" / name).as_uri()

    def link(self, calibrate: bool = False) -> str:
        """Where that file sends the browser: the page, the run's secret in the fragment."""
        text = Path(self.opener(calibrate).removeprefix("file://")).read_text()
        return re.search(r'url=(http://[^"]+)"', text).group(1)

    def page_url(self, calibrate: bool = False) -> str:
        """The page's address as the address bar shows it once the page has taken the secret."""
        return f"http://127.0.0.1:{self.port}/{'calibrate' if calibrate else ''}"

    def secret(self) -> str:
        """The run's secret, as the page's script takes it from the link's fragment."""
        return self.link().partition("#s=")[2]

    def headers(self) -> dict[str, str]:
        """What the page's script sends with every API call."""
        return {"Host": f"127.0.0.1:{self.port}", "Origin": f"http://127.0.0.1:{self.port}",
                "X-Face2Emoji-Secret": self.secret()}


@contextlib.contextmanager
def preview_server(base: Path, args: tuple[str, ...] = ("--no-browser",),
                   env: dict[str, str] | None = None) -> Iterator[Preview]:
    """`face2emoji web ARGS` with its own runtime dir under `base` (0700, as the user's is)."""
    run = base / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    with web_server(args, {**(env or os.environ), "XDG_RUNTIME_DIR": str(run)}) as port:
        yield Preview(port, run)


def open_page(page, preview: Preview, calibrate: bool = False) -> None:
    """Open the preview in `page` as `face2emoji web` opens it: the runtime dir's file, then
    the page, which takes the secret out of the address bar."""
    page.goto(preview.opener(calibrate))
    page.wait_for_url(preview.page_url(calibrate))

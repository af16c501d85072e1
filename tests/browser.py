"""Debian's Chromium, headless through Playwright, the way the page tests use it: with a fake
camera that plays a y4m file (tests/media.write_y4m) in a loop, or with the camera denied."""
from __future__ import annotations

import shutil
from pathlib import Path

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

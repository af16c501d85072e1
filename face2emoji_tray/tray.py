"""The tray icon and its menu: a thin view over the App, no logic of its own.

pystray picks a backend per platform (Linux: AppIndicator, then GTK, then plain Xorg —
the last has no menu, so the [tray-gtk] extra installs PyGObject).
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path

from PIL import Image

from face2emoji_tray import profile
from face2emoji_tray.emoji import CLASSES
from face2emoji_tray.engine import Status
from face2emoji_tray.shipped import shipped_dir
from face2emoji_tray.smoother import EXPRESSION, NO_FACE

ASSETS = shipped_dir("assets") / "emoji"
TITLE = "Face2Emoji"
MENU_DELAY = 0.4  # seconds for focus to return to the text field after the menu closes
log = logging.getLogger(__name__)


class TrayError(RuntimeError):
    """No tray icon can be shown here (no display, or no pystray backend)."""


@lru_cache(maxsize=None)
def icon_image(name: str) -> Image.Image:
    """One of the shipped icons: a class's or a state's (image_name), never a path."""
    return Image.open(ASSETS / f"{name}.png").convert("RGBA")


def image_name(status: Status, problems: list[str]) -> str:
    """The icon for `status`: chosen from the names shipped, never made from a label (a taught
    face's name is the person's text: it has no icon of its own and shows "unsure")."""
    if status.paused:
        return "paused"
    if status.problem or problems:
        return "problem"
    if status.state.kind == EXPRESSION:
        return status.state.label if status.state.label in CLASSES else "unsure"
    return "no_face" if status.state.kind == NO_FACE else "unsure"


def open_file(path: Path) -> None:
    """Open a file in the user's default application."""
    if sys.platform == "win32":
        os.startfile(path)  # noqa: S606 — the user's own config file
    else:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(path)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Tray:
    def __init__(self, app) -> None:
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
                and not os.environ.get("WAYLAND_DISPLAY"):
            raise TrayError("no display: no tray icon")
        try:
            import pystray
        except Exception as exc:  # backends fail at import in many platform-specific ways
            raise TrayError(f"no tray icon ({str(exc).splitlines()[0]})") from None
        self.app = app
        item, menu = pystray.MenuItem, pystray.Menu
        self.icon = pystray.Icon("face2emoji", icon_image("no_face"), TITLE, menu=menu(
            item(lambda _: self.app.describe(confidence=False), None, enabled=False),
            item("Type now", self._type_now),
            item("Pause camera", self._toggle_pause, checked=lambda _: self.app.engine.paused),
            item("Start at login", self._toggle_autostart,
                 checked=lambda _: self.app.autostart.is_enabled()),
            item("Settings…", self._settings),
            item("Open preview", self._preview),
            item("Teach my faces…", self._teach),
            item("Forget my faces", self._forget, enabled=lambda _: profile.default_path().exists()),
            item("Quit", self._quit),
        ))

    def run(self) -> None:
        self.icon.run()

    def stop(self) -> None:
        self.icon.stop()

    def show(self, status: Status, problems: list[str]) -> None:
        self.icon.icon = icon_image(image_name(status, problems))
        self.icon.title = f"{TITLE}: {self.app.describe(confidence=False)}"
        self.icon.update_menu()

    # Menu actions: pystray calls them as action(icon, item).
    def _type_now(self, icon=None, item=None) -> None:
        timer = threading.Timer(MENU_DELAY, self.app.type_now)
        timer.daemon = True
        timer.start()

    def _toggle_pause(self, icon=None, item=None) -> None:
        self.app.set_paused(not self.app.engine.paused)

    def _toggle_autostart(self, icon=None, item=None) -> None:
        self.app.set_autostart(not self.app.autostart.is_enabled())

    def _settings(self, icon=None, item=None) -> None:
        if not self.app.config_path.exists():
            from face2emoji_tray.config import load

            load(self.app.config_path, create=True)
        open_file(self.app.config_path)

    def _preview(self, icon=None, item=None, *mode: str) -> None:
        """The web preview in its own process (it opens the browser, once it has proved a
        preview already running there is ours); the browser needs the camera, so ours is
        paused until the user resumes it."""
        self.app.set_paused(True)
        proc = subprocess.Popen([sys.executable, "-m", "face2emoji_tray", "web",
                                 "--port", str(self.app.config.web_port), *mode],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                errors="replace")
        threading.Thread(target=self._tell_refusal, args=(proc,), daemon=True).start()

    def _tell_refusal(self, proc: subprocess.Popen) -> None:
        """The preview's one-line refusal (its port taken by another program) in the log and,
        where the tray can, a notification; its other output (mediapipe's) is dropped."""
        for line in proc.stderr:
            if line.startswith("face2emoji: "):
                log.warning("preview: %s", line.strip())
                if self.icon.HAS_NOTIFICATION:
                    self.icon.notify(line.strip().removeprefix("face2emoji: "), TITLE)

    def _teach(self, icon=None, item=None) -> None:
        """The preview page's calibration mode; the saved profile is picked up when it lands."""
        self._preview(icon, item, "--calibrate")

    def _forget(self, icon=None, item=None) -> None:
        self.app.forget_faces()

    def _quit(self, icon=None, item=None) -> None:
        self.app.quit()

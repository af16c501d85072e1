"""Start at login: one interface, one implementation per platform.

    starter = autostart.for_platform()
    starter.enable(command); starter.disable(); starter.is_enabled()
"""
from __future__ import annotations

import sys


class Autostart:
    def enable(self, command: list[str]) -> None:
        raise NotImplementedError

    def disable(self) -> None:
        raise NotImplementedError

    def is_enabled(self) -> bool:
        raise NotImplementedError


def for_platform() -> Autostart:
    if sys.platform == "win32":
        from face2emoji_tray.autostart.windows import RunKey

        return RunKey()
    if sys.platform == "darwin":
        from face2emoji_tray.autostart.macos import LaunchAgent

        return LaunchAgent()
    from face2emoji_tray.autostart.xdg import XdgAutostart

    return XdgAutostart()


def app_command() -> list[str]:
    """How to start the tray app again: this interpreter running our CLI."""
    return [sys.executable, "-m", "face2emoji_tray"]

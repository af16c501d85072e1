"""macOS: a LaunchAgent plist in ~/Library/LaunchAgents, run at load (untested here)."""
from __future__ import annotations

import plistlib
from pathlib import Path

from face2emoji_tray.autostart import Autostart

LABEL = "app.face2emoji.tray"


class LaunchAgent(Autostart):
    def __init__(self) -> None:
        self.path = Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"

    def enable(self, command: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as f:
            plistlib.dump({"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True}, f)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def is_enabled(self) -> bool:
        return self.path.is_file()

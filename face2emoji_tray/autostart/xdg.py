"""Linux and other freedesktop desktops: ~/.config/autostart/face2emoji.desktop (XDG Autostart)."""
from __future__ import annotations

import shlex
from pathlib import Path

import platformdirs

from face2emoji_tray.autostart import Autostart


class XdgAutostart(Autostart):
    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or Path(platformdirs.user_config_dir()) / "autostart"
        self.path = folder / "face2emoji.desktop"

    def enable(self, command: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            "[Desktop Entry]\nType=Application\nName=Face2Emoji\n"
            "Comment=Type the emoji of the face you make\n"
            f"Exec={shlex.join(command)}\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
            encoding="utf-8")

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def is_enabled(self) -> bool:
        return self.path.is_file()

"""Windows: a value in HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run (untested here)."""
from __future__ import annotations

import subprocess

from face2emoji_tray.autostart import Autostart

KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
NAME = "Face2Emoji"


class RunKey(Autostart):
    def enable(self, command: list[str]) -> None:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command))

    def disable(self) -> None:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, KEY, 0, winreg.KEY_SET_VALUE) as key:
            try:
                winreg.DeleteValue(key, NAME)
            except FileNotFoundError:
                pass

    def is_enabled(self) -> bool:
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, KEY) as key:
            try:
                winreg.QueryValueEx(key, NAME)
            except FileNotFoundError:
                return False
        return True

"""What this desktop session offers the app besides typing, and what to tell the user when a
part is missing: a global hotkey (none under Wayland), a tray host for the icon, and the
desktop's notifications to say so once.

Under GNOME's Wayland session XWayland sets DISPLAY, so an X hotkey starts and says it is
ready, yet it never sees a key typed in a Wayland window: the session type decides, not
DISPLAY. A tray icon needs a host: a StatusNotifierWatcher on the session bus (KDE, GNOME
with the AppIndicator extension, waybar) or an owner of the X system-tray selection
(trayer, XFCE, MATE); stock GNOME has neither, and the icon is then invisible.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

log = logging.getLogger(__name__)

SNI_WATCHER = "org.kde.StatusNotifierWatcher"
GNOME_KEYS = "org.gnome.settings-daemon.plugins.media-keys"
GNOME_SHORTCUT = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/face2emoji/"
TYPE_NOW = "face2emoji type-now"
SWAY_MODIFIERS = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "cmd": "Super"}
NO_HOTKEY = f"no global hotkey under Wayland: bind `{TYPE_NOW}` to a desktop shortcut"


def wayland() -> bool:
    """A Wayland session, where an X hotkey would never fire in Wayland windows."""
    return bool(os.environ.get("WAYLAND_DISPLAY")) \
        or os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"


def _keys(hotkey: str, modifiers: dict[str, str], between: str) -> str:
    """pynput's '<ctrl>+<alt>+e' written with another desktop's names for the modifiers."""
    parts = [p.strip().strip("<>").lower() for p in hotkey.split("+")]
    return between.join(modifiers.get(p, p) for p in parts)


def gnome_accelerator(hotkey: str) -> str:
    """'<ctrl>+<alt>+e' as GNOME writes it: '<Ctrl><Alt>e'."""
    return _keys(hotkey, {"ctrl": "<Ctrl>", "alt": "<Alt>", "shift": "<Shift>",
                          "cmd": "<Super>"}, "")


def gnome_command(hotkey: str) -> str:
    """One shell line (sh) that adds a GNOME custom shortcut running `face2emoji type-now`,
    keeping the user's other custom shortcuts; running it twice adds nothing twice."""
    return (f"K={GNOME_KEYS} P={GNOME_SHORTCUT}; L=$(gsettings get $K custom-keybindings); "
            f"""for kv in "name Face2Emoji" "command '{TYPE_NOW}'" """
            f""""binding '{gnome_accelerator(hotkey)}'"; do """
            "eval gsettings set $K.custom-keybinding:$P $kv; done; "
            "case $L in *$P*) ;; *) gsettings set $K custom-keybindings "
            """"$(echo "${L#@as }" | sed "s#]\\$#, '$P']#; s#\\[, #[#")";; esac""")


def bind_advice(hotkey: str, gnome_line: bool = False) -> list[str]:
    """How to bind `face2emoji type-now` on each desktop, one line each; the GNOME one as a
    gsettings command (`gnome_line`, for `doctor`) or as the Settings path."""
    gnome = f"GNOME: {gnome_command(hotkey)}" if gnome_line else (
        f"GNOME: Settings → Keyboard → Custom Shortcuts → +, command `{TYPE_NOW}` "
        "(`face2emoji doctor` prints the gsettings line)")
    return [gnome,
            f"KDE: System Settings → Shortcuts → Add New → Command or Script: `{TYPE_NOW}`",
            f"sway: bindsym {_keys(hotkey, SWAY_MODIFIERS, '+')} exec {TYPE_NOW}"]


def _bus_name_owned(name: str) -> bool | None:
    """Whether `name` has an owner on the session bus, asked with gdbus or dbus-send (one of
    them comes with every desktop that has a bus); None when neither is installed. No bus
    at all is False: nothing can be on it."""
    if shutil.which("gdbus"):
        args = ["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus",
                "--method", "org.freedesktop.DBus.NameHasOwner", name]
    elif shutil.which("dbus-send"):
        args = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"]
    else:
        return None
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "true" in done.stdout


def _x_tray_owned() -> bool | None:
    """Whether someone owns the X system-tray selection; None without an X server."""
    if not os.environ.get("DISPLAY"):
        return False
    try:
        from Xlib import X, display

        d = display.Display()
        try:
            atom = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
            return d.get_selection_owner(atom) != X.NONE
        finally:
            d.close()
    except Exception as exc:  # Xlib raises many kinds when the server is unreachable
        log.debug("X server unreachable: %s", exc)
        return None


def tray_host() -> tuple[bool | None, str]:
    """(whether a tray host is there — None when it cannot be told —, which one or why not)."""
    if sys.platform in ("win32", "darwin"):
        return True, "built into the desktop"
    sni, xtray = _bus_name_owned(SNI_WATCHER), _x_tray_owned()
    if sni:
        return True, "StatusNotifierWatcher on the session bus"
    if xtray:
        return True, "X system tray"
    if sni is None or xtray is None:
        return None, ("cannot tell (no gdbus or dbus-send)" if sni is None
                      else "cannot tell (X server unreachable)")
    return False, "no StatusNotifierWatcher on the session bus and no X system tray"


NO_TRAY_HOST = ("no tray host: the icon cannot be shown (GNOME: the AppIndicator extension "
                f"adds one); the hotkey and `{TYPE_NOW}` still work")


def _gvariant_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def notify(title: str, body: str) -> bool:
    """Show a desktop notification (org.freedesktop.Notifications, through notify-send or
    gdbus); False when there is no way to, or it failed. Windows and macOS are told by the
    tray icon instead."""
    if shutil.which("notify-send"):
        args = ["notify-send", "--app-name=Face2Emoji", title, body]
    elif shutil.which("gdbus"):
        args = ["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                "--object-path", "/org/freedesktop/Notifications",
                "--method", "org.freedesktop.Notifications.Notify", "'Face2Emoji'", "0", "''",
                _gvariant_string(title), _gvariant_string(body), "[]", "{}",
                "int32 -1"]  # (a bare -1 would be read as an option)
    else:
        return False
    try:
        return subprocess.run(args, capture_output=True, timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False

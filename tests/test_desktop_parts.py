"""Platform parts that need no display: autostart, the typing backends' order and run-time
fallback (real scripts standing in for the tools), single instance."""
from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import sys

import pyperclip
import pytest

from face2emoji_tray import typers
from face2emoji_tray.autostart import app_command
from face2emoji_tray.autostart.xdg import XdgAutostart
from face2emoji_tray.instance import AlreadyRunning, ControlServer, ask
from face2emoji_tray.typers.direct import ToolTyper


def test_start_at_login_writes_and_removes_the_xdg_autostart_entry(tmp_path):
    starter = XdgAutostart(tmp_path / "autostart")
    assert not starter.is_enabled()
    starter.enable(app_command())
    text = (tmp_path / "autostart" / "face2emoji.desktop").read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert shlex.split(exec_line[5:]) == app_command()
    assert starter.is_enabled()
    starter.disable()
    assert not starter.is_enabled() and not starter.path.exists()
    starter.disable()  # twice is fine


@pytest.fixture
def desktop_env(monkeypatch, tmp_path):
    """A PATH with only the tools a test names (each a script, `exit 0` unless given), and
    no display variables."""
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(var, raising=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    def tools(*names: str, script: str = "exit 0") -> None:
        for name in names:
            (bin_dir / name).write_text(f"#!/bin/sh\n{script}\n")
            (bin_dir / name).chmod(0o755)
    return tools


# ydotool 1.0 as far as we use it: its --help (0.1.x prints no YDOTOOL_SOCKET and exits 1);
# any other call is written to ydotool.args, with what the clipboard holds at that moment.
YDOTOOL_1 = "\n".join([
    "[ \"$1\" = --help ] && echo 'Use environment variable YDOTOOL_SOCKET to specify daemon "
    "socket.' && exit 0",
    'clip=; [ -f "${0%/*}/clip" ] && IFS= read -r clip < "${0%/*}/clip"',
    'echo "$* [$clip]" >> "${0%/*}/ydotool.args"'])
# wl-copy and wl-paste keeping the clipboard in a file (shell builtins only: PATH has no cat).
WL_COPY = 'IFS= read -r text; printf %s "$text" > "${0%/*}/clip"'
WL_PASTE = 'IFS= read -r text < "${0%/*}/clip"; printf %s "$text"'


def order(chain: typers.Chain) -> list[str]:
    return [t.name for t in chain.typers]


def test_no_display_means_no_typing_backend(desktop_env):
    with pytest.raises(typers.TypingError, match=r"no typing backend works on this desktop \(none\)"):
        typers.choose()


def test_x11_types_with_xdotool_then_the_clipboard(desktop_env, monkeypatch):
    desktop_env("xdotool", "xclip")
    monkeypatch.setenv("DISPLAY", ":42")
    chain = typers.choose()
    assert order(chain) == ["xdotool", "clipboard"]
    assert chain.describe() == "xdotool (used) → clipboard"


def test_sway_types_with_wtype_then_the_clipboard(desktop_env, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    desktop_env("wtype", "wl-copy", "wl-paste")
    chain = typers.choose()
    assert typers.session() == "wayland"
    assert chain.describe() == "wtype (used) → clipboard → ydotool (not available)"


@pytest.mark.parametrize("current", ["GNOME", "ubuntu:GNOME", "KDE"])
def test_gnome_and_kde_wayland_paste_through_the_clipboard(desktop_env, monkeypatch, current):
    """Their compositors refuse wtype and ydotool cannot type emoji: the clipboard comes first,
    and it needs ydotool 1.0+ to press Ctrl+V (an installed wtype is no use there)."""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", current)
    desktop_env("wtype", "wl-copy", "wl-paste")
    with pytest.raises(typers.TypingError, match=r"no typing backend works on this desktop "
                                                 r"\(wayland-(gnome|kde)\)"):
        typers.choose()
    desktop_env("ydotool")  # 0.1.x: its `key` would read '29:1' as the key '2'
    with pytest.raises(typers.TypingError, match="no typing backend works"):
        typers.choose()
    desktop_env("ydotool", script=YDOTOOL_1)
    chain = typers.choose()
    assert order(chain) == ["clipboard", "ydotool"]
    assert chain.describe() == "clipboard (used) → ydotool"


def test_ydotool_types_ascii_and_refuses_emoji(desktop_env, monkeypatch, tmp_path):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    desktop_env("ydotool", script=YDOTOOL_1)
    ydotool = typers.backends()["ydotool"]()
    with pytest.raises(typers.TypingError, match=r"^ydotool: cannot type '😀' .*ASCII only"):
        ydotool.type("😀")
    ydotool.type(":-)")
    assert (tmp_path / "bin" / "ydotool.args").read_text() == "type -- :-) []\n"


def test_ydotool_is_never_given_a_backslash_it_would_read_as_return(desktop_env, monkeypatch,
                                                                     tmp_path):
    """A shared settings file's `happy = 'touch ~/pwned\\n'` passes the rule for typed text
    (a backslash and an n), but `ydotool type` reads escapes: it would press Return."""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    desktop_env("ydotool", script=YDOTOOL_1)
    ydotool = typers.backends()["ydotool"]()
    for text in ("touch ~/pwned\\n", "\\o/", "a\\tb"):
        with pytest.raises(typers.TypingError, match="backslash"):
            ydotool.type(text)
    assert not (tmp_path / "bin" / "ydotool.args").exists()


def test_on_gnome_the_clipboard_pastes_with_ydotool_and_gives_the_users_text_back(
        desktop_env, monkeypatch, tmp_path):
    from face2emoji_tray.typers.clipboard import ClipboardTyper

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    desktop_env("wl-copy", script=WL_COPY)
    desktop_env("wl-paste", script=WL_PASTE)
    desktop_env("wtype", script='echo "$*" >> "${0%/*}/wtype.args"; exit 1')
    desktop_env("ydotool", script=YDOTOOL_1)
    (tmp_path / "bin" / "clip").write_text("the user's précieux text", encoding="utf-8")
    ClipboardTyper().type("😀👍🏽")
    # Ctrl+V (KEY_LEFTCTRL 29, KEY_V 47) pressed while the clipboard held the emoji, by
    # ydotool alone: wtype cannot work on GNOME and is not tried.
    assert (tmp_path / "bin" / "ydotool.args").read_text(encoding="utf-8") == \
        "key 29:1 47:1 47:0 29:0 [😀👍🏽]\n"
    assert not (tmp_path / "bin" / "wtype.args").exists()
    assert (tmp_path / "bin" / "clip").read_text(encoding="utf-8") == "the user's précieux text"


def test_a_configured_backend_that_cannot_work_here_is_a_clear_error(desktop_env, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":42")
    with pytest.raises(typers.TypingError, match="'wtype' does not work on this desktop"):
        typers.choose("wtype")
    with pytest.raises(typers.TypingError, match="unknown typing backend 'morse'"):
        typers.choose("morse")


class Broken(ToolTyper):
    """A real tool that fails the way wtype does on GNOME."""

    name, where, command = "broken", "x11", ("broken-tool",)


class Recorder(ToolTyper):
    """A real tool that writes what it was asked to type to typed.txt beside itself."""

    name, where, command = "recorder", "x11", ("recorder-tool",)


def test_a_backend_that_fails_at_run_time_hands_over_to_the_next(desktop_env, monkeypatch,
                                                                  tmp_path, caplog):
    monkeypatch.setenv("DISPLAY", ":42")
    desktop_env("broken-tool", script="echo 'Compositor does not support the virtual keyboard "
                                      "protocol' >&2; exit 1")
    desktop_env("recorder-tool", script='printf %s "$2" > "${0%/*}/typed.txt"')
    chain = typers.Chain([Broken(), Recorder()])
    with caplog.at_level(logging.WARNING, logger="face2emoji_tray.typers"):
        assert chain.type("😀👍🏽❤️") == "recorder"
    assert (tmp_path / "bin" / "typed.txt").read_text(encoding="utf-8") == "😀👍🏽❤️"
    assert [r.getMessage() for r in caplog.records] == [
        "broken: broken-tool failed (Compositor does not support the virtual keyboard "
        "protocol); trying recorder"]
    # Both fail: one error with both reasons, and nothing typed.
    desktop_env("recorder-tool", script="echo 'no seat' >&2; exit 2")
    with pytest.raises(typers.TypingError, match=r"^broken: .* failed \(Compositor .*\); "
                                                 r"recorder: recorder-tool failed \(no seat\)$"):
        chain.type("😢")


class Slow(ToolTyper):
    """A real tool that types (writes slow.txt) and then hangs, as xdotool does on a loaded or
    stuck X server."""

    name, where, command = "slow", "x11", ("slow-tool",)


def test_a_backend_that_ran_past_its_time_is_not_followed_by_the_next(desktop_env, monkeypatch,
                                                                      tmp_path):
    """It may have typed part or all of the text: the next backend would type it again."""
    monkeypatch.setenv("DISPLAY", ":42")
    desktop_env("slow-tool", script='printf %s "$2" > "${0%/*}/slow.txt"; exec /bin/sleep 30')
    desktop_env("recorder-tool", script='printf %s "$2" > "${0%/*}/typed.txt"')
    with pytest.raises(typers.TypingError, match=r"^slow: slow-tool did not finish in 5 s "
                                                 r"\(stopped; part of the text may be typed"):
        typers.Chain([Slow(), Recorder()]).type("😀")
    assert (tmp_path / "bin" / "slow.txt").read_text(encoding="utf-8") == "😀"
    assert not (tmp_path / "bin" / "typed.txt").exists()  # typed once, not twice


def test_no_backend_is_given_a_text_that_would_press_keys(desktop_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", ":42")
    desktop_env("recorder-tool", script='printf %s "$2" > "${0%/*}/typed.txt"')
    for text, why in (("touch ~/pwned\n", "a text with U+000A (a control character)"),
                      ("\u202e😀", "a text with U+202E (an invisible format character)"),
                      ("😀" * 33, "a text of 33 characters (at most 32)")):
        with pytest.raises(typers.TypingError, match=rf"^cannot type {re.escape(why)}$"):
            typers.Chain([Recorder()]).type(text)
    assert not (tmp_path / "bin" / "typed.txt").exists()


def test_a_clipboard_that_cannot_be_given_back_is_one_log_line_and_the_emoji_was_typed(
        monkeypatch, caplog):
    from face2emoji_tray.typers import clipboard

    held = ["the user's text"]

    def copy(text: str) -> None:
        if held[-1] == "😀":  # the clipboard owner went away after the paste
            raise pyperclip.PyperclipException("the clipboard went away")
        held.append(text)
    monkeypatch.setattr(clipboard, "_clipboard", lambda: (copy, lambda: held[-1]))
    monkeypatch.setattr(clipboard, "_press_paste", lambda: None)
    monkeypatch.setattr(clipboard, "SETTLE", 0)
    monkeypatch.setattr(clipboard.ClipboardTyper, "supported", classmethod(lambda cls: True))
    with caplog.at_level(logging.WARNING):
        assert typers.Chain([clipboard.ClipboardTyper()]).type("😀") == "clipboard"
    assert [r.getMessage() for r in caplog.records] == [
        "clipboard: your earlier clipboard text could not be put back (the clipboard went away)"]


def test_doctor_names_the_chain_and_the_backend_used_first(desktop_env, monkeypatch):
    from face2emoji_tray.doctor import check_typing

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    desktop_env("wl-copy", "wl-paste")
    desktop_env("ydotool", script=YDOTOOL_1)
    line = check_typing().line()
    assert line.startswith("OK   typing") and line.endswith(
        "wayland-kde: clipboard (used) → ydotool")


def test_a_failing_tool_is_one_line(desktop_env, tmp_path):
    (tmp_path / "bin" / "xdotool").write_text("#!/bin/sh\necho 'Error: no X' >&2\nexit 1\n")
    (tmp_path / "bin" / "xdotool").chmod(0o755)
    with pytest.raises(typers.TypingError, match=r"^xdotool: xdotool failed \(Error: no X\)$"):
        typers.run_tool(["xdotool", "type", "x"], "xdotool")


def test_a_second_instance_is_told_the_first_is_running(tmp_path):
    path = tmp_path / "run" / "control.sock"
    first = ControlServer(lambda command: f"got {command}", path)
    first.start()
    try:
        assert ask("status", path) == "got status"
        assert ask("dance", path).startswith("error: unknown command")
        with pytest.raises(AlreadyRunning, match="already running"):
            ControlServer(lambda command: "", path)
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"  # only this user
    finally:
        first.stop()
    assert not path.exists()


def test_a_socket_left_by_a_crash_is_replaced(tmp_path):
    path = tmp_path / "control.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening: like a crashed app's leftover
    dead.close()
    server = ControlServer(lambda command: "alive", path)
    server.start()
    try:
        assert ask("status", path) == "alive"
    finally:
        server.stop()


def test_a_taught_face_has_no_icon_of_its_own_and_the_tray_shows_unsure():
    from face2emoji_tray.engine import Status
    from face2emoji_tray.smoother import EXPRESSION, State
    from face2emoji_tray.tray import icon_image, image_name

    taught = Status(State(EXPRESSION, "🤢", 0.9, faces=1))
    assert image_name(taught, []) == "unsure" and icon_image(image_name(taught, [])).size
    assert taught.describe(confidence=False) == "🤢"  # the first menu line names it
    assert image_name(Status(State(EXPRESSION, "happy", 0.9, faces=1)), []) == "happy"


# One app that would be the running one: on "go" it tries to be, and serves the socket until
# its stdin closes.
CONTENDER = """
import sys
from pathlib import Path
from face2emoji_tray.instance import AlreadyRunning, ControlServer
sys.stdin.readline()
try:
    server = ControlServer(lambda command: "me " + sys.argv[2], Path(sys.argv[1]))
except AlreadyRunning as exc:
    print("refused", exc, flush=True)
    sys.exit(4)
server.start()
print("running", flush=True)
sys.stdin.read()
server.stop()
"""


def contender(path, name: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CONTENDER, str(path), name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def crashed_socket(path) -> None:
    """What a crashed app leaves: a socket file bound by no one."""
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()


def test_apps_started_at_once_exactly_one_runs(tmp_path):
    """Four apps, started at the same moment, many times; half the time a crashed app's
    socket is there (the old way — connect, then replace a socket that does not answer —
    let two of them replace it and both run)."""
    path = tmp_path / "run" / "control.sock"
    path.parent.mkdir(mode=0o700)
    for attempt in range(20):
        if attempt % 2:
            crashed_socket(path)
        apps = [contender(path, name) for name in "abcd"]
        for app in apps:
            app.stdin.write("go\n")
        for app in apps:
            app.stdin.flush()
        said = [app.stdout.readline().split()[0] for app in apps]
        try:
            assert sorted(said) == ["refused"] * 3 + ["running"], f"attempt {attempt}: {said}"
            winner = "abcd"[said.index("running")]
            assert ask("status", path) == f"me {winner}"
        finally:
            for app in apps:
                app.stdin.close()
                app.wait(10)
        assert not path.exists()


def test_a_killed_app_does_not_keep_the_next_one_from_running(tmp_path):
    path = tmp_path / "run" / "control.sock"
    first = contender(path, "first")
    first.stdin.write("go\n")
    first.stdin.flush()
    assert first.stdout.readline().startswith("running")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert path.exists() and (path.parent / "instance.lock").exists()  # both left behind
    second = contender(path, "second")
    second.stdin.write("go\n")
    second.stdin.flush()
    try:
        assert second.stdout.readline().startswith("running")
        assert ask("status", path) == "me second"
    finally:
        second.stdin.close()
        second.wait(10)


def test_the_gnome_line_doctor_gives_under_wayland_binds_type_now_and_keeps_my_shortcuts(
        monkeypatch, tmp_path):
    """Run as GNOME would store it (gsettings' keyfile backend in a private folder), twice,
    over a shortcut the user already had."""
    from face2emoji_tray.doctor import check_hotkey

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    check = check_hotkey("<ctrl>+<shift>+m")
    assert not check.ok and "bind `face2emoji type-now`" in check.detail
    gnome = next(line for line in check.hint.splitlines() if line.startswith("GNOME: "))
    env = {**os.environ, "GSETTINGS_BACKEND": "keyfile", "XDG_CONFIG_HOME": str(tmp_path)}
    keys = "org.gnome.settings-daemon.plugins.media-keys"
    mine = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/"

    def gsettings(*args: str) -> str:
        return subprocess.run(["gsettings", *args], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()
    gsettings("set", keys, "custom-keybindings", f"['{mine}']")
    for _ in range(2):
        subprocess.run(["sh", "-c", gnome.removeprefix("GNOME: ")], env=env, check=True)
    ours = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/face2emoji/"
    assert gsettings("get", keys, "custom-keybindings") == f"['{mine}', '{ours}']"
    shortcut = f"{keys}.custom-keybinding:{ours}"
    assert [gsettings("get", shortcut, key) for key in ("name", "command", "binding")] == [
        "'Face2Emoji'", "'face2emoji type-now'", "'<Ctrl><Shift>m'"]

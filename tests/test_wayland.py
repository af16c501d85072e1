"""The Wayland user's story on a real (headless) sway session: no global hotkey can be
grabbed there, so the desktop's shortcut runs `face2emoji type-now`, and the running app
types the emoji of the smile it sees into the focused Wayland field (foot) — with wtype,
and through the clipboard (wl-copy, then Ctrl+V), giving the user's clipboard back."""
from __future__ import annotations

import subprocess

import pytest

from tests.processes import APP, ask
from tests.waiting import wait_for
from tests.wayland import Field, wayland

pytestmark = pytest.mark.wayland


@pytest.fixture(scope="module")
def way(tmp_path_factory):
    with wayland(tmp_path_factory.mktemp("home")) as env:
        yield env


@pytest.fixture
def field(way, tmp_path):
    f = Field(way, tmp_path)
    yield f
    f.close()


@pytest.fixture
def start_app(way, smile_video, tmp_path):
    """Starts the app (settings from the given TOML) watching the smile; quits it afterwards
    and prints its output, which holds its log lines. The output goes to a file: the wl-copy
    that serves the clipboard outlives the app and would hold a pipe open."""
    output = tmp_path / "app.log"
    apps = []

    def start(config: str = "") -> subprocess.Popen:
        conf = tmp_path / "config.toml"
        conf.write_text(config, encoding="utf-8")
        with output.open("ab") as out:
            apps.append(subprocess.Popen([*APP, "--source", str(smile_video), "--config",
                                          str(conf)], env=way, stdout=out,
                                         stderr=subprocess.STDOUT))
        wait_for(lambda: ask(way, "status").startswith("expression happy"), 60, "happy")
        return apps[-1]
    yield start
    for app in apps:
        if app.poll() is None:
            ask(way, "quit")
            try:
                app.wait(15)
            except subprocess.TimeoutExpired:
                app.kill()
    print(output.read_text(encoding="utf-8"))


def clipboard(env: dict) -> str:
    return subprocess.run(["wl-paste", "-n"], env=env, capture_output=True, text=True).stdout


def test_type_now_types_the_smile_into_the_wayland_field_with_wtype(way, field, start_app):
    app = start_app()
    status = ask(way, "status")
    # No hotkey and no icon (no session bus here), and the user is told what to do.
    assert "no global hotkey" in status and "face2emoji type-now" in status
    assert "no tray icon (no D-Bus session bus)" in status
    done = subprocess.run([*APP, "type-now"], env=way, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("typed 😀 with wtype (happy"), done
    wait_for(lambda: field.text == "😀", 5, "😀 in the field")
    assert ask(way, "quit") == "ok"
    assert app.wait(15) == 0


def test_type_now_pastes_through_the_clipboard_and_gives_the_users_text_back(way, field,
                                                                             start_app):
    subprocess.run(["wl-copy", "the user's précieux text"], env=way, check=True)
    start_app('typer = "clipboard"\n[emoji]\nhappy = "😀👍🏽❤️"\n')
    assert ask(way, "type-now").startswith("typed 😀👍🏽❤️ with clipboard (happy")
    # Non-BMP, a skin-tone modifier and a variation selector arrive as they are.
    wait_for(lambda: field.text == "😀👍🏽❤️", 5, "the paste")
    assert clipboard(way) == "the user's précieux text"


def test_doctor_names_the_typing_chain_of_this_desktop(way):
    done = subprocess.run([*APP, "doctor"], env=way, capture_output=True, text=True, timeout=120)
    typing = next(l for l in done.stdout.splitlines() if l.split()[1] == "typing")
    assert typing.split(maxsplit=2)[::2] == [
        "OK", "wayland: wtype (used) → clipboard → ydotool (not available)"]


def test_doctor_says_how_to_bind_type_now_and_that_no_tray_host_is_there(way):
    done = subprocess.run([*APP, "doctor"], env=way, capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    hotkey = next(i for i, line in enumerate(lines) if line.split()[1] == "hotkey")
    assert lines[hotkey].startswith("WARN hotkey                 no global hotkey under Wayland: "
                                    "bind `face2emoji type-now` to a desktop shortcut  → GNOME: ")
    assert "gsettings set $K custom-keybindings" in lines[hotkey]
    assert lines[hotkey + 1].startswith("      KDE: System Settings → Shortcuts")
    assert lines[hotkey + 2] == "      sway: bindsym Ctrl+Alt+e exec face2emoji type-now"
    tray = next(line for line in lines if line.split()[1:3] == ["tray", "host"])
    assert tray.startswith("WARN tray host              no StatusNotifierWatcher on the session "
                           "bus and no X system tray")
    assert "cannot check" not in done.stdout

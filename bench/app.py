"""The running tray app on a virtual desktop: start-up time, CPU and memory watching vs
paused, hotkey → text latency; with --soak-minutes, a soak (RSS growth, threads, file
descriptors, every press typed exactly one emoji).

    .venv/bin/python -m bench.app [--seconds 60] [--presses 40] [--wavering]
    .venv/bin/python -m bench.app --soak-minutes 30          # not part of CI

--wavering watches a smile whose confidence moves from frame to frame, as a real face's
does (the default video's stays at 88%): what the tray must not redraw for.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import record, rss_mb, stats
from tests.desktop import desktop
from tests.media import SMILE_JPG, frames_of, read_photo, wavering_smile, write_video
from tests.processes import ask
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def cpu_percent(pid: int, seconds: float) -> tuple[float, float]:
    """(% of one core, RSS MB at the end) over `seconds`."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0), rss_mb(pid)


def counts(pid: int) -> dict:
    return {"threads": len(os.listdir(f"/proc/{pid}/task")), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "rss_mb": rss_mb(pid)}


def icon_shown(env) -> bool:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                          text=True).stdout
    return '("face2emoji" "face2emoji")' in tree  # the icon's window, by its X class


def press_latencies(env, field_out: Path, presses: int, gap: float = 0.5) -> tuple[list, int]:
    """Seconds from `xdotool key` to the emoji in the field; and how many presses typed
    a number of emoji other than exactly one."""
    latencies, wrong = [], 0
    for _ in range(presses):
        before = field_out.read_text(encoding="utf-8")
        t = time.perf_counter()
        subprocess.run(["xdotool", "key", "ctrl+alt+e"], env=env)
        try:
            wait_for(lambda: field_out.read_text(encoding="utf-8") != before, 3, "the emoji",
                     poll=0.01)
            latencies.append(time.perf_counter() - t)
        except TimeoutError:
            wrong += 1
            continue
        time.sleep(gap)
        wrong += len(field_out.read_text(encoding="utf-8")) - len(before) != 1
    return latencies, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60, help="for each CPU/RSS measurement")
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--soak-minutes", type=float, default=0)
    ap.add_argument("--fps", type=float, help="frames analysed per second (default: the app's)")
    ap.add_argument("--wavering", action="store_true", help="a smile of moving confidence")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, desktop(Path(tmp)) as env:
        smile = (wavering_smile if args.wavering else frames_of)(read_photo(SMILE_JPG), 50)
        video = write_video(Path(tmp) / "smile.avi", smile)
        field_out = Path(tmp) / "field.txt"
        field = subprocess.Popen([sys.executable, str(ROOT / "tests" / "field.py"), str(field_out)],
                                 env=env, stdout=subprocess.PIPE, text=True)
        field.stdout.readline()
        (Path(tmp) / "config.toml").write_text(f"fps = {args.fps}\n" if args.fps else "")
        t0 = time.monotonic()
        app = subprocess.Popen([sys.executable, "-m", "face2emoji_tray", "--source", str(video),
                                "--config", str(Path(tmp) / "config.toml")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows: dict = {}
        try:
            wait_for(lambda: icon_shown(env), 30, "the tray icon", poll=0.01)
            rows["start → tray icon visible (s)"] = time.monotonic() - t0
            wait_for(lambda: ask(env, "status").startswith("expression happy"), 60, "happy")
            rows["start → first emoji ready (s)"] = time.monotonic() - t0
            wid = subprocess.run(["xdotool", "search", "--name", "Face2Emoji test field"], env=env,
                                 capture_output=True, text=True).stdout.split()[0]
            subprocess.run(["xdotool", "windowfocus", "--sync", wid], env=env)
            lat, wrong = press_latencies(env, field_out, args.presses)
            rows["hotkey → emoji in field"] = stats(lat)
            rows["presses not typing exactly one emoji"] = wrong
            cpu, rss = cpu_percent(app.pid, args.seconds)
            rows["watching: CPU % of one core"] = cpu
            rows["watching: RSS MB"] = rss
            ask(env, "pause")
            time.sleep(1)
            cpu, rss = cpu_percent(app.pid, args.seconds)
            rows["paused: CPU % of one core"] = cpu
            rows["paused: RSS MB"] = rss
            rows["machine load (1-min average)"] = os.getloadavg()[0]  # other jobs' share
            ask(env, "resume")
            if args.soak_minutes:
                rows.update(soak(env, app.pid, field_out, args.soak_minutes))
        finally:
            ask(env, "quit")
            app.wait(15)
            field.terminate()
            log = Path(env["XDG_STATE_HOME"]) / "face2emoji" / "log" / "face2emoji.log"
            lines = log.read_text(encoding="utf-8").splitlines() if log.is_file() else []
            rows["app log: presses typed / not typed"] = (
                f"{sum('face2emoji: typed' in l for l in lines)} / {sum('nothing typed' in l for l in lines)}")
            for line in lines:
                if "nothing typed" in line or "WARNING" in line:
                    print(line)
    record("soak" if args.soak_minutes else "app", rows)


def soak(env, pid: int, field_out: Path, minutes: float) -> dict:
    time.sleep(5)
    start = counts(pid)
    end_at, presses, wrong = time.monotonic() + minutes * 60, 0, 0
    while time.monotonic() < end_at:
        _, bad = press_latencies(env, field_out, 1, gap=0.3)
        presses, wrong = presses + 1, wrong + bad
        time.sleep(10)
    end = counts(pid)
    return {"soak minutes": minutes, "soak presses": presses, "soak presses wrong": wrong,
            "soak start": start, "soak end": end,
            "soak RSS growth %": 100 * (end["rss_mb"] / start["rss_mb"] - 1)}


if __name__ == "__main__":
    main()

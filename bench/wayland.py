"""The running app on a headless sway session: `face2emoji type-now` (what the desktop's
shortcut runs on Wayland) → the emoji in a foot field, with wtype and through the clipboard.
The time includes starting the `face2emoji type-now` process, as a user's shortcut does.

    .venv/bin/python -m bench.wayland [--presses 10]
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path


from bench.common import record, stats
from tests.media import SMILE_JPG, frames_of, read_photo, write_video
from tests.processes import APP, ask
from tests.waiting import wait_for
from tests.wayland import Field, wayland


def latencies(env: dict, field: Field, presses: int, gap: float = 0.5) -> tuple[list, int]:
    """Seconds from starting `face2emoji type-now` to the emoji in the field; and how many
    presses typed something other than exactly one more emoji."""
    out, wrong = [], 0
    for _ in range(presses):
        before = field.text
        t = time.perf_counter()
        subprocess.Popen([*APP, "type-now"], env=env, stdout=subprocess.DEVNULL)
        try:
            wait_for(lambda: field.text != before, 5, "the emoji", poll=0.005)
            out.append(time.perf_counter() - t)
        except TimeoutError:
            wrong += 1
            continue
        time.sleep(gap)
        wrong += field.text != before + "😀"
    return out, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=10)
    args = ap.parse_args()
    rows: dict = {}
    with tempfile.TemporaryDirectory() as tmp, wayland(Path(tmp)) as env:
        video = write_video(Path(tmp) / "smile.avi", frames_of(read_photo(SMILE_JPG), 50))
        field = Field(env, Path(tmp))
        for typer in ("wtype", "clipboard"):
            conf = Path(tmp) / f"{typer}.toml"
            conf.write_text(f'typer = "{typer}"\n')
            app = subprocess.Popen([*APP, "--source", str(video), "--config", str(conf)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(lambda: ask(env, "status").startswith("expression happy"), 60, "happy")
                lat, wrong = latencies(env, field, args.presses)
                rows[f"type-now → emoji in field ({typer})"] = stats(lat)
                rows[f"presses not typing exactly one emoji ({typer})"] = wrong
            finally:
                ask(env, "quit")
                app.wait(15)
        field.close()
    record("wayland", rows)


if __name__ == "__main__":
    main()

"""Waiting for something a real process or thread does, with a deadline."""
from __future__ import annotations

import time


def wait_for(check, seconds: float, what: str, poll: float = 0.05):
    """Call `check` until it returns something truthy, and return that; after `seconds`,
    a TimeoutError naming `what` (a test that waits in vain fails with it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timed out after {seconds} s waiting for {what}")

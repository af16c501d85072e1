"""A real text field for the Wayland tests: run inside a terminal (foot), it puts the tty in
raw mode and writes everything typed or pasted into it so far to OUT_FILE (UTF-8).

    foot python tests/term_field.py OUT_FILE
"""
import codecs
import os
import sys
import tty
from pathlib import Path

out = Path(sys.argv[1])
tty.setraw(0)
decoder = codecs.getincrementaldecoder("utf-8")()
text = ""
out.write_text(text, encoding="utf-8")
while data := os.read(0, 4096):
    text += decoder.decode(data)
    out.write_text(text, encoding="utf-8")

"""A real text field for the end-to-end tests: a Tk window with one focused Entry.

    python tests/field.py OUT_FILE
Every change of the Entry's text is written to OUT_FILE (UTF-8), so a test can read what a
user would see in the field.
"""
import sys
import tkinter as tk
from pathlib import Path

out = Path(sys.argv[1])
root = tk.Tk()
root.title("Face2Emoji test field")
root.geometry("400x80+400+300")
text = tk.StringVar()
text.trace_add("write", lambda *_: out.write_text(text.get(), encoding="utf-8"))
entry = tk.Entry(root, textvariable=text, width=40)
entry.pack(padx=10, pady=20)
out.write_text("", encoding="utf-8")


def focus() -> None:
    root.focus_force()
    entry.focus_set()
    print("ready", flush=True)


root.after(300, focus)
root.mainloop()

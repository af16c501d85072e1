"""Text from outside (a file's name, a face's name, a typed value) made safe to show in a
terminal or a log line.

A file name may hold ESC and BEL: printed raw, `ESC]2;…BEL` retitles the user's terminal and
`ESC[31m` recolours it; a newline splits a log line in two, and a bidi override (U+202E)
reorders what follows it. An undecodable byte of a name (a lone surrogate, as Python holds
it) makes print() fail, and a raw 0x9b byte is a CSI to an 8-bit terminal. Such characters
are shown as Python's escapes (\\x1b, \\n, \\u202e, \\udcff); every other character, emoji
included, as it is. ZWJ stays (🧑‍💻), and so do the tag characters of a subdivision flag
(emoji.FLAG); tag characters elsewhere are invisible ASCII, and are escaped.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Callable

from face2emoji_tray.emoji import FLAG, ZWJ

SHOWN_ESCAPED = ("Cc", "Cs", "Cf", "Zl", "Zp")  # controls, surrogates, format, separators


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in SHOWN_ESCAPED and ch != ZWJ


def _escaped(text: str, escape: Callable[[str], str]) -> str:
    """`text` with its unsafe characters as `escape` writes them; a flag's tags kept."""
    parts = FLAG.split(text)  # the text between the flags
    flags = FLAG.findall(text) + [""]
    return "".join("".join(escape(ch) if _unsafe(ch) else ch for ch in part) + flag
                   for part, flag in zip(parts, flags))


def printable(value: object) -> str:
    """`str(value)` with the characters that can drive a terminal, split a line or reorder
    or hide what is shown written as escapes."""
    return _escaped(str(value), lambda ch: ch.encode("unicode_escape").decode("ascii"))


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character beyond the BMP as a surrogate pair
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"


def printable_json(obj: object) -> str:
    """`obj` as one line of JSON that reads back to the same values, with those characters
    as JSON escapes (json.dumps escapes only the C0 controls; emoji stay readable)."""
    return _escaped(json.dumps(obj, ensure_ascii=False), _json_escape)

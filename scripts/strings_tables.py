"""The apps' string tables, for scripts/check_strings.py: Android's res/values*/strings.xml and
Apple's <lang>.lproj/*.strings read into entries (with their line numbers), their placeholders,
and the comparison of the English and Hindi tables (check (c) there)."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional

ANDROID_PLACEHOLDER = re.compile(r"%(?:(\d+)\$)?[-#+ 0,(]*\d*(?:\.\d+)?([a-zA-Z%])")
APPLE_PLACEHOLDER = re.compile(r"%(?:(\d+)\$)?[-#+ 0']*\d*(?:\.\d+)?(hh|h|ll|l|q|z|t|j)?([@dDiuUxXoOfFeEgGcCsSpaA%])")


@dataclass
class Finding:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


@dataclass
class Report:
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def add(self, path: str, line: int, message: str, col: int = 1):
        self.findings.append(Finding(path, line, col, message))


@dataclass
class Entry:
    kind: str  # "string" or "plurals" (Apple: always "string")
    value: object  # the text, or {quantity: text}
    line: int

    def texts(self) -> list:
        return list(self.value.values()) if isinstance(self.value, dict) else [self.value]


def placeholders(text: str, apple: bool = False) -> list:
    """Sorted (position, conversion) of a format string's placeholders; %% is not one."""
    out, n = [], 0
    for m in (APPLE_PLACEHOLDER if apple else ANDROID_PLACEHOLDER).finditer(text):
        conv = (m.group(2) or "") + m.group(3) if apple else m.group(2)
        if conv.endswith("%"):
            continue
        n += 1
        out.append((int(m.group(1)) if m.group(1) else n, conv))
    return sorted(out)


def entry_placeholders(entry: Entry, apple: bool = False) -> list:
    """A string's placeholders; a plural's over all its items ("One conflict" may drop the count)."""
    return sorted({p for t in entry.texts() for p in placeholders(t, apple)})


def needed_arguments(entry: Entry, apple: bool = False) -> int:
    return max((i for i, _ in entry_placeholders(entry, apple)), default=0)


def fmt(ps: list) -> str:
    return "(" + ", ".join(f"%{i}${c}" for i, c in ps) + ")" if ps else "(none)"


# --------------------------------------------------------------------------------------------
# Android


def android_unescape(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u" else m.group(1), text)


def read_android(path: str, shown: str, report: Report) -> Optional[dict]:
    """name -> Entry of one strings.xml (`shown`: its path in findings); None when absent."""
    if not os.path.exists(path):
        return None
    raw = open(path, encoding="utf-8").read()
    lines = {m.group(1): raw.count("\n", 0, m.start()) + 1 for m in re.finditer(r'<(?:string|plurals)\s[^>]*name="([^"]+)"', raw)}
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        report.add(shown, e.position[0], f"not valid XML: {e}", e.position[1] + 1)
        return {}
    out: dict = {}
    for el in root:
        name = el.get("name")
        if el.tag not in ("string", "plurals") or not name:
            continue
        if name in out:
            report.add(shown, lines.get(name, 1), f"{el.tag} {name} declared twice")
        if el.tag == "string":
            out[name] = Entry("string", android_unescape("".join(el.itertext())), lines.get(name, 1))
        else:
            items = {i.get("quantity"): android_unescape("".join(i.itertext())) for i in el.findall("item")}
            out[name] = Entry("plurals", items, lines.get(name, 1))
    return out


def compare_android(en: dict, hi: dict, en_path: str, hi_path: str, report: Report):
    """(c) for Android: the same names, kinds and placeholders; numbered placeholders; "other"."""
    for name in sorted(set(en) - set(hi)):
        report.add(hi_path, 1, f"{en[name].kind} {name} is in values/ but not in values-hi/")
    for name in sorted(set(hi) - set(en)):
        report.add(en_path, 1, f"{hi[name].kind} {name} is in values-hi/ but not in values/")
    for name in sorted(set(en) & set(hi)):
        a, b = en[name], hi[name]
        if a.kind != b.kind:
            report.add(hi_path, b.line, f"{name} is a {a.kind} in values/ but a {b.kind} in values-hi/")
        elif entry_placeholders(a) != entry_placeholders(b):
            report.add(hi_path, b.line, f"{name}: placeholders {fmt(entry_placeholders(b))} in values-hi/, "
                                         f"{fmt(entry_placeholders(a))} in values/")
    for path, table in ((en_path, en), (hi_path, hi)):
        for name, e in sorted(table.items()):
            if e.kind == "plurals" and "other" not in e.value:
                report.add(path, e.line, f"plurals {name} has no \"other\" item")
            for t in e.texts():
                found = [m for m in ANDROID_PLACEHOLDER.finditer(t) if m.group(2) != "%"]
                if len(found) > 1 and any(m.group(1) is None for m in found):
                    report.add(path, e.line, f"{name}: several placeholders must be numbered (%1$s, %2$d)")
                    break


# --------------------------------------------------------------------------------------------
# Apple


STRINGS_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', re.S)


def strings_unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def read_strings(path: str, shown: str, report: Report) -> dict:
    """key -> Entry of one .strings file ("key" = "text"; entries, with comments between)."""
    raw = open(path, encoding="utf-8").read()
    out: dict = {}
    i = 0
    while True:
        while i < len(raw) and raw[i].isspace():
            i += 1
        if i >= len(raw):
            break
        line = raw.count("\n", 0, i) + 1
        if raw.startswith("/*", i):
            end = raw.find("*/", i + 2)
            i = len(raw) if end < 0 else end + 2
            continue
        if raw.startswith("//", i):
            end = raw.find("\n", i)
            i = len(raw) if end < 0 else end + 1
            continue
        m = STRINGS_ENTRY.match(raw, i)
        if not m:
            report.add(shown, line, "cannot read this entry (expected \"key\" = \"text\";)")
            break
        key = strings_unescape(m.group(1))
        if key in out:
            report.add(shown, line, f"key {key} given twice")
        out[key] = Entry("string", strings_unescape(m.group(2)), line)
        i = m.end()
    return out


def read_lproj(base: str, lang: str, root: str, report: Report) -> Optional[dict]:
    """table name -> {key: Entry} of <base>/<lang>.lproj; None when the folder is absent."""
    d = os.path.join(base, f"{lang}.lproj")
    if not os.path.isdir(d):
        return None
    return {f: read_strings(os.path.join(d, f), os.path.relpath(os.path.join(d, f), root), report)
            for f in sorted(os.listdir(d)) if f.endswith(".strings")}


def compare_lproj(en: dict, hi: dict, base: str, root: str, report: Report):
    """(c) for Apple: the same tables, keys and placeholders in en.lproj and hi.lproj."""
    for table in sorted(set(en) | set(hi)):
        en_path = os.path.relpath(os.path.join(base, "en.lproj", table), root)
        hi_path = os.path.relpath(os.path.join(base, "hi.lproj", table), root)
        if table not in hi:
            report.add(hi_path, 1, f"{table} is in en.lproj but not in hi.lproj")
            continue
        if table not in en:
            report.add(en_path, 1, f"{table} is in hi.lproj but not in en.lproj")
            continue
        a, b = en[table], hi[table]
        for key in sorted(set(a) - set(b)):
            report.add(hi_path, 1, f"key {key} is in en.lproj but not in hi.lproj")
        for key in sorted(set(b) - set(a)):
            report.add(en_path, b[key].line, f"key {key} is in hi.lproj but not in en.lproj")
        for key in sorted(set(a) & set(b)):
            pa, pb = entry_placeholders(a[key], True), entry_placeholders(b[key], True)
            if pa != pb:
                report.add(hi_path, b[key].line, f"key {key}: placeholders {fmt(pb)} in hi.lproj, {fmt(pa)} in en.lproj")

#!/usr/bin/env python3
"""Prints what pyxform (the reference XLSForm converter) makes of a form, normalised for
comparison with Sangam's import (core/tests/forms_pyxform.rs).

    python3 scripts/pyxform_dump.py FORM.xlsx

Output: one JSON object {"ok": true, "form": {...}} or {"ok": false, "error": "..."}. The form
holds form_id, version, title, default_language, the item tree (kind, name, type, list,
labels/hints/messages per language, required, relevant, constraint, calculation,
choice_filter, repeat_count) and the choice lists (name, labels, extra columns).
Needs: pip install pyxform
"""

import json
import os
import sys

from pyxform.xls2json import parse_file_to_json

TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "dateTime": "datetime",
    "photo": "image",
    "trigger": "acknowledge",
    "string": "text",
    "int": "integer",
    "gps": "geopoint",
    "location": "geopoint",
}
YES = {"yes", "Yes", "YES", "true", "True", "TRUE", "true()", True}
NO = {"no", "No", "NO", "false", "False", "FALSE", "false()", False}


def translated(v, default_lang):
    if v is None:
        return {}
    if isinstance(v, dict):
        return {k: str(x) for k, x in v.items() if x not in (None, "")}
    return {default_lang: str(v)}


def flag(v):
    if v is None or v in NO:
        return None
    if v in YES:
        return "true()"
    return str(v)


def item(el, default_lang):
    t = el.get("type")
    bind = el.get("bind") or {}
    control = el.get("control") or {}
    out = {"name": el.get("name")}
    if t in ("group", "repeat"):
        out["kind"] = t
        out["label"] = translated(el.get("label"), default_lang)
        out["relevant"] = bind.get("relevant")
        if t == "repeat":
            count = control.get("jr:count")
            out["repeat_count"] = None if count is None else str(count)
        out["children"] = [item(c, default_lang) for c in el.get("children", []) if not is_meta(c)]
        return out
    out["kind"] = "question"
    out["type"] = TYPES.get(t, t)
    out["list"] = el.get("list_name") or el.get("itemset")
    if t == "select one external":
        # A select whose list Sangam keeps apart from the choices sheet's, under this key.
        out["type"] = "select_one"
        if out["list"]:
            out["list"] = "external_choices:" + out["list"]
    out["label"] = translated(el.get("label"), default_lang)
    out["hint"] = translated(el.get("hint"), default_lang)
    out["required"] = flag(bind.get("required"))
    out["required_message"] = translated(bind.get("jr:requiredMsg"), default_lang)
    out["relevant"] = bind.get("relevant")
    out["constraint"] = bind.get("constraint")
    out["constraint_message"] = translated(bind.get("jr:constraintMsg"), default_lang)
    out["calculation"] = bind.get("calculate")
    out["choice_filter"] = el.get("choice_filter")
    out["read_only"] = flag(bind.get("readonly"))
    return out


def is_meta(el):
    return el.get("name") == "meta" and el.get("type") == "group"


def main(path):
    try:
        d = parse_file_to_json(path, warnings=[])
    except Exception as e:  # pyxform refuses the form
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}, ensure_ascii=False))
        return
    lang = d.get("default_language") or "default"
    choices = {}
    for lst, items in (d.get("choices") or {}).items():
        choices[lst] = [
            {
                "name": str(c.get("name")),
                "label": translated(c.get("label"), lang),
                "extra": {k: str(v) for k, v in c.items() if k not in ("name", "label", "media") and v not in (None, "")},
            }
            for c in items
        ]
    form = {
        "form_id": d.get("id_string") or os.path.splitext(os.path.basename(path))[0],
        "version": None if d.get("version") is None else str(d.get("version")),
        "title": d.get("title"),
        "default_language": lang,
        "items": [item(c, lang) for c in d.get("children", []) if not is_meta(c)],
        "choices": choices,
    }
    print(json.dumps({"ok": True, "form": form}, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Checks the apps' words, so that every screen stays in English and Hindi:

 (a) no English left on a screen: a string literal with a word in it (two or more Latin
     letters, outside placeholders, escapes and URLs) passed to a Compose or SwiftUI text sink
     — Text(…), Button(…), TextField(…), .navigationTitle(…), the apps' own SectionTitle(…),
     say(…) and the like (SINKS below), or a contentDescription/placeholder/label/title
     argument — or assigned to a Swift `message`; and in the UI files (not the platform-free
     data/ and platform/ layers), a literal a function returns or a property is given as one
     branch of an if / when / ?: (a label helper: `RecordKind.FORM -> "Form"`), or passes to a
     String or List<String> parameter of the app's own @Composable functions and classes
     (`FieldsDialog("Add attendee", …)`; not to key-like ones: key, id, route…). Keys looked up
     (L("key"), stringResource(R.string.x)), subscripts (attrs["name"]) and comparisons
     (type == "person") are not words on a screen; a line marked `i18n-ignore` is left alone
     (a language's own name in the switch);
 (b) every R.string.x / R.plurals.x the Kotlin sources use is declared in
     res/values/strings.xml as that kind, and a lookup with its arguments (stringResource,
     pluralText, UiText.Res, say, getString…) passes as many as the string has placeholders;
 (c) res/values/ and res/values-hi/ declare exactly the same strings and plurals, and
     en.lproj/ and hi.lproj/ the same .strings tables with the same keys, each with the same
     placeholders in both languages (a plural: the same placeholders over its items, and an
     "other" item); Android strings with several placeholders number them (%1$s, %2$d);
 (d) every key Swift looks up with L("key") / NSLocalizedString("key") / String(localized:) is
     in en.lproj/Localizable.strings (P("key", n) needs key_one and key_other), with as many
     arguments as the English text has placeholders.

Strings and keys nothing uses are listed, not failed. Run by scripts/check_apps.py (with a
self-test over scripts/check_apps_selftest/strings/), or alone:
    python3 scripts/check_strings.py [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from typing import Optional

import tree_sitter
import tree_sitter_kotlin
import tree_sitter_swift

from strings_tables import (ANDROID_PLACEHOLDER, Finding, Report, compare_android, compare_lproj,
                            needed_arguments, read_android, read_lproj)

KOTLIN = tree_sitter.Language(tree_sitter_kotlin.language())
SWIFT = tree_sitter.Language(tree_sitter_swift.language())
Node = tree_sitter.Node

# Calls whose arguments are words on a screen (Kotlin: Compose and the app's own composables;
# Swift: SwiftUI views and modifiers, called as `Name(…)` or `.name(…)`).
KOTLIN_SINKS = {"Text", "SectionTitle", "EmptyNote", "KeyValue", "say"}
SWIFT_SINKS = {"Text", "Button", "TextField", "SecureField", "Toggle", "Picker", "Label", "LabeledContent",
               "DatePicker", "Link", "Menu", "TabScreen", "navigationTitle", "alert", "confirmationDialog", "help"}
# Arguments that are words on a screen in any call, when given a string literal; a sink's
# other labelled arguments (style, systemImage, selection…) are not.
TEXT_ARGUMENTS = {"contentDescription", "placeholder", "label", "title", "prompt", "header", "footer"}
SINK_ARGUMENTS = TEXT_ARGUMENTS | {"text", "value", "message"}
SWIFT_TEXT_VARIABLES = {"message"}
# Lookups: their literal arguments are keys, not words.
KOTLIN_LOOKUPS = {"stringResource", "pluralStringResource", "pluralText", "getString", "getQuantityString"}
SWIFT_LOOKUPS = {"L", "P", "NSLocalizedString"}
# Parameters of the app's composables and classes that name things rather than show them.
KEY_PARAMETERS = {"key", "id", "route", "tag", "fieldKey", "path", "url", "scheme", "mime", "ext", "type"}
TEXT_TYPES = {"String", "String?", "List<String>"}
# Kotlin lookups taking (R.x.name, [count,] args…): name -> index of the count argument or None.
KOTLIN_FORMATTERS = {"stringResource": None, "getString": None, "Res": None, "say": None,
                     "pluralStringResource": 1, "pluralText": 1, "getQuantityString": 1, "Plural": 1}

WORD = re.compile(r"[A-Za-z]{2,}")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S*")


@dataclass
class Layout:
    """Where one app pair keeps its sources and words (paths may be missing: then skipped)."""

    kotlin: list  # folders of Kotlin sources
    res: str  # the Android res/ folder (values/, values-hi/)
    manifest: str  # AndroidManifest.xml (its @string/ uses)
    swift: list  # folders of SwiftUI sources
    lproj: str  # the folder holding en.lproj/ and hi.lproj/
    not_ui: tuple = ()  # path parts of Kotlin layers whose returned text is not checked (data/)


def rel(path: str, root: str) -> str:
    return os.path.relpath(path, root)


def node_text(n: Node, src: bytes) -> str:
    return src[n.start_byte:n.end_byte].decode("utf-8", "replace")


def files(dirs: list, ext: str) -> list:
    out = []
    for d in dirs:
        for dirpath, dirnames, names in os.walk(d):
            dirnames[:] = sorted(x for x in dirnames if x not in ("build", ".build", ".gradle"))
            out += [os.path.join(dirpath, f) for f in sorted(names) if f.endswith(ext)]
    return out


def has_word(literal: str) -> bool:
    literal = URL.sub("", literal)
    literal = ANDROID_PLACEHOLDER.sub("", re.sub(r"\\.", " ", literal))
    return bool(WORD.search(literal))


# --------------------------------------------------------------------------------------------
# Source walks


def callee_name(call: Node, src: bytes) -> str:
    """`Text` of Text(…), `navigationTitle` of x.navigationTitle(…), `Res` of UiText.Res(…)."""
    f = call.children[0] if call.children else None
    if f is None:
        return ""
    if f.type in ("identifier", "simple_identifier"):
        return node_text(f, src)
    if f.type == "navigation_expression":
        last = f.children[-1]
        if last.type == "navigation_suffix":
            last = last.children[-1]
        return node_text(last, src) if last.type in ("identifier", "simple_identifier") else ""
    if f.type == "prefix_expression":  # Swift `.navigationTitle(…)` on the previous line's result
        return node_text(f.children[-1], src)
    if f.type == "additive_expression" and f.children[-1].type == "simple_identifier":
        return node_text(f.children[-1], src)  # tree-sitter-swift reads `"a" + P(…)` as `("a" + P)(…)`
    return ""


def value_arguments(call: Node) -> list:
    """The value_argument nodes of a call, without trailing lambdas (Kotlin and Swift trees)."""
    for c in call.children:
        if c.type == "value_arguments":
            return [a for a in c.named_children if a.type == "value_argument"]
        if c.type == "call_suffix":
            for d in c.children:
                if d.type == "value_arguments" and d.children and d.children[0].type == "(":
                    return [a for a in d.named_children if a.type == "value_argument"]
    return []


def argument_label(arg: Node, src: bytes) -> Optional[str]:
    """`style` of Kotlin `style = x`, `placeholder` of Swift `placeholder: x`; None if positional."""
    kids = arg.children
    if len(kids) >= 3 and kids[1].type in ("=", ":"):
        return node_text(kids[0], src)
    if kids and kids[0].type == "value_argument_label":
        return node_text(kids[0], src)
    return None


def argument_value(arg: Node) -> Node:
    return arg.named_children[-1]


STRING_NODES = ("string_literal", "line_string_literal", "multi_line_string_literal", "multiline_string_literal")
TEXT_PARTS = ("string_content", "line_str_text", "multi_line_str_text", "str_escaped_char", "escape_sequence")


def literal_text(lit: Node, src: bytes) -> str:
    """A literal's own text, with each interpolation as a space (tree-sitter-kotlin leaves a
    Kotlin `$name` in the text)."""
    text = "".join(node_text(c, src) if c.type in TEXT_PARTS else " " for c in lit.children if c.type not in ('"', '"""'))
    return re.sub(r"\$[A-Za-z_]\w*", " ", text) if lit.type in ("string_literal", "multiline_string_literal") else text


def is_plain_literal(n: Node) -> bool:
    return n.type in STRING_NODES and all(c.type in TEXT_PARTS or c.type in ('"', '"""') for c in n.children)


def literals_in(n: Node, src: bytes, lookups: set):
    """String literals under `n` that could be words on a screen (in an interpolation too, and in
    a closure there, as in `x.ifEmpty { "draft" }`)."""
    if n.type in ("index_expression", "equality_expression"):
        return
    if n.type == "binary_expression" and any(c.type in ("==", "!=") for c in n.children):
        return
    if n.type == "call_expression" and callee_name(n, src) in lookups:
        if n.children[0].type == "additive_expression":  # `"a" + P(…)` as tree-sitter-swift reads it
            for c in n.children[0].named_children[:-1]:
                yield from literals_in(c, src, lookups)
        return
    if n.type == "value_arguments" and n.children and n.children[0].type == "[":  # a Swift subscript
        return
    if n.type in STRING_NODES:
        yield n
    for c in n.named_children:
        yield from literals_in(c, src, lookups)


class SourceCheck:
    def __init__(self, root: str, report: Report):
        self.root = root
        self.report = report
        self.flagged: set = set()

    def flag(self, path: str, n: Node, src: bytes, what: str):
        where = (rel(path, self.root), n.start_point.row + 1, n.start_point.column + 1)
        if where in self.flagged:  # a literal in Text(…) inside another sink's argument
            return
        line = src.split(b"\n")[n.start_point.row]
        if b"i18n-ignore" in line:
            return
        self.flagged.add(where)
        text = literal_text(n, src).strip()
        self.report.findings.append(Finding(*where, f"English on a screen in {what}: \"{text[:60]}\" (use a string resource / L(\"key\"))"))

    def screen_literals(self, path: str, call: Node, src: bytes, sinks: set, lookups: set):
        name = callee_name(call, src)
        for arg in value_arguments(call):
            label = argument_label(arg, src)
            value = argument_value(arg)
            if value.type in ("lambda_literal", "annotated_lambda"):
                continue  # content (`label = { Text(…) }`), an action: its calls are checked on their own
            if name in sinks and (label is None or label in SINK_ARGUMENTS) and sink_call(call, src):
                for lit in literals_in(value, src, lookups):
                    if has_word(literal_text(lit, src)):
                        self.flag(path, lit, src, f"{name}(…)")
            elif label in TEXT_ARGUMENTS and value.type in STRING_NODES and has_word(literal_text(value, src)):
                self.flag(path, value, src, f"{label} =")


    def app_call_literals(self, path: str, call: Node, src: bytes, shows_text: dict):
        """Literals passed to a text parameter of the app's own composables and classes."""
        name = callee_name(call, src)
        sig = shows_text.get(name)
        if sig is None or name in KOTLIN_SINKS or call.children[0].type != "identifier":
            return
        by_name = dict(sig)
        for i, arg in enumerate(value_arguments(call)):
            label = argument_label(arg, src)
            text_param = by_name.get(label, False) if label is not None else (i < len(sig) and sig[i][1])
            value = argument_value(arg)
            if not text_param or value.type in ("lambda_literal", "annotated_lambda"):
                continue
            for lit in literals_in(value, src, KOTLIN_LOOKUPS):
                if has_word(literal_text(lit, src)):
                    self.flag(path, lit, src, f"{name}(…)")

    def results(self, path: str, n: Node, src: bytes, what: str):
        for lit in result_literals(n):
            if has_word(literal_text(lit, src)):
                self.flag(path, lit, src, what)

    def returned_text(self, path: str, n: Node, src: bytes):
        """A UI file's literal that a function returns or a property is set to, as a branch."""
        if n.type in ("return_expression", "control_transfer_statement") and n.children[0].type == "return" and n.named_children:
            self.results(path, n.named_children[-1], src, "a returned value")
        elif n.type == "function_body" and n.children[0].type == "=" and len(n.children) > 1:
            if n.children[1].type not in STRING_NODES:  # `fun route(id) = "survey/$id"` is no label
                self.results(path, n.children[1], src, "a returned value")
        elif n.type == "property_declaration":
            value = n.children[-1]
            if value.type in BRANCHING:
                self.results(path, value, src, "a property's value")


BRANCHING = ("if_expression", "when_expression", "ternary_expression")


def result_literals(n: Node) -> list:
    """The string literals an expression can come out as: itself, or its if / when / ?: branches."""
    if n.type in STRING_NODES:
        return [n]
    if n.type == "if_expression":  # Kotlin: if (cond) a else b
        return [x for c in n.named_children[1:] for x in result_literals(c)]
    if n.type == "ternary_expression":
        return [x for c in n.named_children[1:] for x in result_literals(c)]
    if n.type == "when_expression":
        out = []
        for entry in n.named_children:
            if entry.type == "when_entry" and entry.named_children:
                out += result_literals(entry.named_children[-1])
        return out
    if n.type in ("block", "control_structure_body", "parenthesized_expression", "statements") and len(n.named_children) == 1:
        return result_literals(n.named_children[0])
    return []


def sink_call(call: Node, src: bytes) -> bool:
    """Text(…) is a sink, AnswerValue.Text(…) is not: a navigation only for a modifier
    (`.navigationTitle(…)`, lower case)."""
    f = call.children[0]
    return f.type in ("identifier", "simple_identifier") or callee_name(call, src)[:1].islower()


def walk(n: Node):
    yield n
    for c in n.children:
        yield from walk(c)


def kotlin_text_parameters(trees: list, not_ui: tuple) -> dict:
    """name -> [(parameter, shows text)] of the @Composable functions and class constructors the
    UI files declare (not the data layer's: SangamRepository(dbPath) takes a file name)."""
    out: dict = {}
    for path, tree, src in trees:
        if any(part in path.replace(os.sep, "/") for part in not_ui):
            continue
        for n in walk(tree.root_node):
            params = None
            if n.type == "function_declaration":
                mods = next((c for c in n.children if c.type == "modifiers"), None)
                if mods is not None and re.search(r"@Composable\b", node_text(mods, src)):
                    params = next((c for c in n.children if c.type == "function_value_parameters"), None)
            elif n.type == "class_declaration":
                ctor = next((c for c in n.children if c.type == "primary_constructor"), None)
                params = next((c for c in ctor.children if c.type == "class_parameters"), None) if ctor is not None else None
            name = next((c for c in n.children if c.type == "identifier"), None)
            if params is None or name is None:
                continue
            sig = []
            for p in params.named_children:
                if p.type not in ("parameter", "class_parameter"):
                    continue
                pname = next((c for c in p.children if c.type == "identifier"), None)
                ptype = next((c for c in p.children if c.type in ("user_type", "nullable_type")), None)
                pn = node_text(pname, src) if pname is not None else ""
                pt = re.sub(r"\s", "", node_text(ptype, src)) if ptype is not None else ""
                sig.append((pn, pt in TEXT_TYPES and pn not in KEY_PARAMETERS))
            out[node_text(name, src)] = sig
    return out


def kotlin_sources(layout: Layout, root: str, resources: dict, report: Report) -> set:
    """(a) and (b) for Kotlin; returns the resource names used."""
    check = SourceCheck(root, report)
    used: set = set()
    parser = tree_sitter.Parser(KOTLIN)
    trees = []
    for path in files(layout.kotlin, ".kt"):
        src = open(path, "rb").read()
        trees.append((path, parser.parse(src), src))
    shows_text = kotlin_text_parameters(trees, layout.not_ui)
    for path, tree, src in trees:
        ui = not any(part in path.replace(os.sep, "/") for part in layout.not_ui)
        for n in walk(tree.root_node):
            if ui:
                check.returned_text(path, n, src)
                if n.type == "call_expression":
                    check.app_call_literals(path, n, src, shows_text)
            if n.type == "navigation_expression":
                m = re.fullmatch(r"R\s*\.\s*(string|plurals)\s*\.\s*(\w+)", node_text(n, src))
                if m:
                    kind, name = m.groups()
                    used.add(name)
                    have = resources.get(name)
                    where = (rel(path, root), n.start_point.row + 1, n.start_point.column + 1)
                    if have is None:
                        report.findings.append(Finding(*where, f"R.{kind}.{name} is not in res/values/strings.xml"))
                    elif have.kind != kind:
                        report.findings.append(Finding(*where, f"R.{kind}.{name}: res/values declares a {have.kind} {name}"))
            elif n.type == "call_expression":
                check.screen_literals(path, n, src, KOTLIN_SINKS, KOTLIN_LOOKUPS)
                kotlin_arguments(path, n, src, resources, root, report)
    return used


def kotlin_arguments(path: str, call: Node, src: bytes, resources: dict, root: str, report: Report):
    name = callee_name(call, src)
    if name not in KOTLIN_FORMATTERS:
        return
    args = value_arguments(call)
    if not args or argument_label(args[0], src) is not None:
        return
    m = re.fullmatch(r"R\s*\.\s*(string|plurals)\s*\.\s*(\w+)", node_text(argument_value(args[0]), src))
    if not m or m.group(2) not in resources or resources[m.group(2)].kind != m.group(1):
        return
    if any(node_text(a, src).lstrip().startswith("*") for a in args):
        return  # spread arguments: not counted here
    count_at = KOTLIN_FORMATTERS[name]
    given = len(args) - 1 - (1 if count_at is not None else 0)
    needed = needed_arguments(resources[m.group(2)])
    if given != needed:
        report.findings.append(Finding(rel(path, root), call.start_point.row + 1, call.start_point.column + 1,
                                       f"{name}(R.{m.group(1)}.{m.group(2)}, …): {given} argument(s) for {needed} placeholder(s)"))


def swift_sources(layout: Layout, root: str, keys: dict, report: Report) -> set:
    """(a) and (d) for Swift; returns the keys used."""
    check = SourceCheck(root, report)
    used: set = set()
    parser = tree_sitter.Parser(SWIFT)
    for path in files(layout.swift, ".swift"):
        src = open(path, "rb").read()
        tree = parser.parse(src)
        for n in walk(tree.root_node):
            check.returned_text(path, n, src)
            if n.type == "call_expression":
                check.screen_literals(path, n, src, SWIFT_SINKS, SWIFT_LOOKUPS)
                swift_lookup(path, n, src, keys, used, root, report)
            elif n.type == "assignment":
                target = node_text(n.children[0], src).split(".")[-1]
                if target in SWIFT_TEXT_VARIABLES:
                    for lit in literals_in(n.children[-1], src, SWIFT_LOOKUPS):
                        if has_word(literal_text(lit, src)):
                            check.flag(path, lit, src, f"{target} =")
    return used


def swift_lookup(path: str, call: Node, src: bytes, keys: dict, used: set, root: str, report: Report):
    name = callee_name(call, src)
    args = value_arguments(call)
    if not args:
        return
    label = argument_label(args[0], src)
    if name == "String" and label == "localized":
        name = "NSLocalizedString"
    elif name not in SWIFT_LOOKUPS or label is not None:
        return
    value = argument_value(args[0])
    if not is_plain_literal(value):
        return  # a key made at run time (or L(message)): not checked here
    key = literal_text(value, src)
    wanted = [key + "_one", key + "_other"] if name == "P" else [key]
    where = (rel(path, root), call.start_point.row + 1, call.start_point.column + 1)
    for k in wanted:
        used.add(k)
        if k not in keys:
            report.findings.append(Finding(*where, f"{name}(\"{key}\"): key {k} is not in en.lproj/Localizable.strings"))
    if name == "NSLocalizedString" or not all(k in keys for k in wanted):
        return
    given = len(args) - (2 if name == "P" else 1)
    needed = max(needed_arguments(keys[k], True) for k in wanted)
    if given != needed:
        report.findings.append(Finding(*where, f"{name}(\"{key}\", …): {given} argument(s) for {needed} placeholder(s)"))


# --------------------------------------------------------------------------------------------
# Running


def check(layout: Layout, root: str) -> Report:
    report = Report()
    values = os.path.join(layout.res, "values", "strings.xml")
    values_hi = os.path.join(layout.res, "values-hi", "strings.xml")
    en = read_android(values, rel(values, root), report)
    hi = read_android(values_hi, rel(values_hi, root), report)
    if en is not None:
        if hi is None:
            report.add(rel(values_hi, root), 1, "no Hindi strings (res/values-hi/strings.xml)")
        else:
            compare_android(en, hi, rel(values, root), rel(values_hi, root), report)
        used = kotlin_sources(layout, root, en, report)
        if os.path.exists(layout.manifest):
            used |= set(re.findall(r"@string/(\w+)", open(layout.manifest, encoding="utf-8").read()))
        unused = sorted(set(en) - used)
        if unused:
            report.notes.append(f"Android strings nothing uses: {', '.join(unused)}")
        report.counts["android"] = (sum(1 for v in en.values() if v.kind == "string"), sum(1 for v in en.values() if v.kind == "plurals"))
    en_l = read_lproj(layout.lproj, "en", root, report)
    hi_l = read_lproj(layout.lproj, "hi", root, report)
    if en_l is not None:
        if hi_l is None:
            report.add(rel(os.path.join(layout.lproj, "hi.lproj"), root), 1, "no Hindi strings (hi.lproj)")
        else:
            compare_lproj(en_l, hi_l, layout.lproj, root, report)
        keys = en_l.get("Localizable.strings", {})
        used = swift_sources(layout, root, keys, report)
        unused = sorted(set(keys) - used)
        if unused:
            report.notes.append(f"iOS keys nothing uses: {', '.join(unused)}")
        report.counts["ios"] = len(keys)
    elif layout.swift:
        swift_sources(layout, root, {}, report)
    return report


def app_layout(root: str) -> Layout:
    main = os.path.join(root, "android-demo", "app", "src", "main")
    return Layout(kotlin=[os.path.join(main, "java")], res=os.path.join(main, "res"),
                  manifest=os.path.join(main, "AndroidManifest.xml"),
                  swift=[os.path.join(root, "ios-demo", "SangamDemo")], lproj=os.path.join(root, "ios-demo", "SangamDemo"),
                  not_ui=("/demo/data/", "/demo/platform/"))


def sample_layout(base: str) -> Layout:
    return Layout(kotlin=[os.path.join(base, "android")], res=os.path.join(base, "android", "res"),
                  manifest=os.path.join(base, "android", "AndroidManifest.xml"),
                  swift=[os.path.join(base, "ios")], lproj=os.path.join(base, "ios"))


SELFTEST_EXPECTED = [
    # (file suffix, substring of the message) — every one must be reported on strings/bad
    ("Screen.kt", "English on a screen in Text(…): \"Sync now\""),
    ("Screen.kt", "English on a screen in SectionTitle(…): \"History\""),
    ("Screen.kt", "English on a screen in contentDescription =: \"Back\""),
    ("Screen.kt", "English on a screen in Text(…): \"draft\""),
    ("Screen.kt", "R.string.sync_later is not in res/values/strings.xml"),
    ("Screen.kt", "R.plurals.ok: res/values declares a string ok"),
    ("Screen.kt", "stringResource(R.string.last_sync, …): 0 argument(s) for 1 placeholder(s)"),
    ("values-hi/strings.xml", "string only_english is in values/ but not in values-hi/"),
    ("values/strings.xml", "string only_hindi is in values-hi/ but not in values/"),
    ("values-hi/strings.xml", "last_sync: placeholders (%1$d) in values-hi/, (%1$s) in values/"),
    ("values-hi/strings.xml", "conflicts: placeholders (none) in values-hi/"),
    ("values/strings.xml", "two_args: several placeholders must be numbered"),
    ("Screen.swift", "English on a screen in Button(…): \"Sync now\""),
    ("Screen.swift", "English on a screen in navigationTitle(…): \"Conflicts\""),
    ("Screen.swift", "English on a screen in message =: \"Bundle written.\""),
    ("Screen.swift", "English on a screen in Text(…): \"in progress\""),
    ("Screen.swift", "L(\"sync_later\"): key sync_later is not in en.lproj/Localizable.strings"),
    ("Screen.swift", "P(\"rows\"): key rows_other is not in en.lproj/Localizable.strings"),
    ("Screen.swift", "L(\"last_sync\", …): 2 argument(s) for 1 placeholder(s)"),
    ("hi.lproj/Localizable.strings", "key only_english is in en.lproj but not in hi.lproj"),
    ("hi.lproj/Localizable.strings", "key last_sync: placeholders (none) in hi.lproj"),
    ("hi.lproj/InfoPlist.strings", "InfoPlist.strings is in en.lproj but not in hi.lproj"),
]


def run_selftest(root: str) -> list:
    """Problems with the self-test: a planted mistake not reported, or a false alarm."""
    base = os.path.join(root, "scripts", "check_apps_selftest", "strings")
    problems = []
    bad = check(sample_layout(os.path.join(base, "bad")), root)
    for suffix, needle in SELFTEST_EXPECTED:
        if not any(f.path.endswith(suffix) and needle in f.message for f in bad.findings):
            problems.append(f"planted mistake not reported: {suffix}: {needle}")
    good = check(sample_layout(os.path.join(base, "good")), root)
    problems += [f"false alarm on the clean sample: {f}" for f in good.findings]
    if "android" not in good.counts or "ios" not in good.counts:
        problems.append("self-test samples missing under scripts/check_apps_selftest/strings/{good,bad}")
    return problems


def summary(report: Report) -> str:
    a = report.counts.get("android", (0, 0))
    return (f"strings: Android {a[0]} strings and {a[1]} plurals, iOS {report.counts.get('ios', 0)} keys, "
            f"each in English and Hindi; {len(report.findings)} problem(s)")


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
    ap.add_argument("--no-selftest", action="store_true")
    args = ap.parse_args(argv)
    failed = False
    if not args.no_selftest:
        problems = run_selftest(args.root)
        for p in problems:
            print(f"strings self-test: {p}")
        failed = bool(problems)
        if not problems:
            print(f"strings self-test: all {len(SELFTEST_EXPECTED)} planted mistakes reported; the clean sample passes")
    report = check(app_layout(args.root), args.root)
    for note in report.notes:
        print(f"note: {note}")
    print(summary(report))
    for f in sorted(report.findings, key=lambda f: (f.path, f.line, f.col)):
        print(f"  {f}")
    return 1 if failed or report.findings else 0


if __name__ == "__main__":
    sys.exit(main())

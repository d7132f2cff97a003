"""Read content-analysis dictionaries in the formats researchers bring, chosen by suffix, into
one structure: a list of codes, each with its entries (dictionaries) or its condition (KH Coder
coding rules), every piece carrying the line of the file it came from.

- `.yml` / `.yaml`: quanteda's YAML dictionary, keys nested to any depth; a nested key's code is
  its path joined by dots (`经济.工业`), as quanteda flattens it.
- `.dic`: LIWC, categories between two `%` lines (`1<TAB>经济`), then `entry<TAB>1 2` lines.
- `.cat`: WordStat, categories and subcategories by indentation, entries ending with a weight
  `(1)` (weights are read, not used: counts are occurrences).
- `.txt`: KH Coder coding rules, `*code` lines each followed by its condition (one or more
  lines); `#` starts a comment line.

Nothing here segments or matches: entries and conditions stay text, checked and compiled by
coding.py. Every error is one line, `FILE:LINE: what is wrong`, raised as ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = {".yml": "yaml", ".yaml": "yaml", ".dic": "liwc", ".cat": "wordstat", ".txt": "khcoder"}
WEIGHT_RE = re.compile(r"^(.*?)\s*\((-?\d+(?:\.\d+)?)\)\s*$")


@dataclass(frozen=True)
class Code:
    """One code: entries (text, line) for dictionary formats, or a KH Coder condition as its
    lines (text, line). `line` is where the code is named."""

    name: str
    line: int
    entries: tuple[tuple[str, int], ...] = ()
    condition: tuple[tuple[str, int], ...] | None = None


@dataclass(frozen=True)
class Dictionary:
    path: str
    format: str
    codes: tuple[Code, ...] = field(default_factory=tuple)

    def error(self, line: int | None, message: str) -> ValueError:
        return dictionary_error(self.path, line, message)


def dictionary_error(path, line: int | None, message: str) -> ValueError:
    where = f"{path}:{line}" if line else str(path)
    return ValueError(f"{where}: {message}")


def read_text(path) -> str:
    """UTF-8 (BOM or not), else GB18030: KH Coder and WordStat files made on Chinese Windows."""
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise dictionary_error(path, None, "neither UTF-8 nor GB18030 text")


def load_dictionary(path) -> Dictionary:
    """Read a dictionary or coding-rule file; its format from the suffix."""
    path = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unknown dictionary type {suffix or '(no suffix)'!r}: choose from "
                         f"{', '.join(FORMATS)} (quanteda YAML, LIWC, WordStat, KH Coder coding rules)")
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such file")
    fmt = FORMATS[suffix]
    text = read_text(path)
    codes = {"yaml": _yaml, "liwc": _liwc, "wordstat": _wordstat, "khcoder": _khcoder}[fmt](path, text)
    seen = {}
    for code in codes:
        if code.name in seen:
            raise dictionary_error(path, code.line,
                                   f"code {code.name!r} is defined twice (first on line {seen[code.name]})")
        seen[code.name] = code.line
    if not codes:
        raise dictionary_error(path, None, "no codes found")
    return Dictionary(path, fmt, tuple(codes))


# --- quanteda YAML ---------------------------------------------------------------------------

def _yaml(path, text) -> list[Code]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise dictionary_error(path, mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    if root is None:
        return []
    codes: list[Code] = []

    def walk(node, prefix):
        if not isinstance(node, yaml.MappingNode):
            raise dictionary_error(path, node.start_mark.line + 1, "expected keys (code: [entries...])")
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
                raise dictionary_error(path, line, "a code name must be plain text")
            name = f"{prefix}.{key.value.strip()}" if prefix else key.value.strip()
            if isinstance(value, yaml.MappingNode):
                walk(value, name)
            elif isinstance(value, yaml.SequenceNode):
                entries = []
                for item in value.value:
                    if not isinstance(item, yaml.ScalarNode):
                        raise dictionary_error(path, item.start_mark.line + 1,
                                               f"entries of {name!r} must be plain text, not a list or keys")
                    entries.append((item.value, item.start_mark.line + 1))
                codes.append(Code(name, line, tuple(entries)))
            elif isinstance(value, yaml.ScalarNode) and value.value.strip() and value.tag != "tag:yaml.org,2002:null":
                codes.append(Code(name, line, ((value.value, value.start_mark.line + 1),)))
            else:
                raise dictionary_error(path, line, f"code {name!r} has no entries (give a list: - word)")

    walk(root, "")
    return codes


# --- LIWC .dic -------------------------------------------------------------------------------

def _liwc(path, text) -> list[Code]:
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise dictionary_error(path, (marks[0] + 1) if marks else 1,
                               "a LIWC dictionary starts with its categories between two '%' lines")
    categories: dict[str, tuple[str, int]] = {}
    for i in range(marks[0] + 1, marks[1]):
        line = lines[i].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) < 2 or not parts[0].isdigit():
            raise dictionary_error(path, i + 1, f"expected 'number<TAB>category', got {line!r}")
        if parts[0] in categories:
            raise dictionary_error(path, i + 1, f"category number {parts[0]} is used twice")
        categories[parts[0]] = (parts[1].split("\t")[0].strip(), i + 1)
    entries: dict[str, list] = {num: [] for num in categories}
    for i in range(marks[1] + 1, len(lines)):
        line = lines[i].strip()
        if not line:
            continue
        if "\t" in line:
            entry, ids = line.split("\t", 1)
            ids = ids.split()
        else:  # spaces only: the trailing numbers are the categories
            parts = line.split()
            k = len(parts)
            while k > 1 and parts[k - 1].isdigit():
                k -= 1
            entry, ids = " ".join(parts[:k]), parts[k:]
        entry = entry.strip()
        if not ids:
            raise dictionary_error(path, i + 1, f"entry {entry!r} names no category number")
        for num in ids:
            if not num.isdigit():
                raise dictionary_error(path, i + 1, f"{num!r}: LIWC's conditional entries (like "
                                                    "'word (02 134)125/464') are not supported; give category numbers")
            if num not in categories:
                raise dictionary_error(path, i + 1, f"entry {entry!r}: no category number {num} "
                                                    f"(categories: {', '.join(categories)})")
            entries[num].append((entry, i + 1))
    return [Code(name, line, tuple(entries[num])) for num, (name, line) in categories.items()]


# --- WordStat .cat ---------------------------------------------------------------------------

def _wordstat(path, text) -> list[Code]:
    stack: list[tuple[int, str]] = []  # (indent, path name) of the open categories
    order: list[str] = []
    found: dict[str, list] = {}
    lines_of: dict[str, int] = {}
    for i, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        expanded = raw.expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip())
        line = expanded.strip()
        weighted = WEIGHT_RE.match(line)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if weighted:
            entry = weighted.group(1).strip()
            if not stack:
                raise dictionary_error(path, i, f"entry {entry!r} stands under no category (indent it below one)")
            if not entry:
                raise dictionary_error(path, i, "an entry has only a weight")
            found[stack[-1][1]].append((entry, i))
        else:
            name = f"{stack[-1][1]}.{line}" if stack else line
            if name in found:
                raise dictionary_error(path, i, f"category {name!r} is defined twice (first on line {lines_of[name]})")
            stack.append((indent, name))
            order.append(name)
            found[name] = []
            lines_of[name] = i
    # A category holding only subcategories is no code of its own (its children are).
    parents = {name.rsplit(".", 1)[0] for name in order if "." in name}
    return [Code(name, lines_of[name], tuple(found[name])) for name in order
            if found[name] or name not in parents]


# --- KH Coder coding rules -------------------------------------------------------------------

def _khcoder(path, text) -> list[Code]:
    codes: list[tuple[str, int, list]] = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            name = line[1:].strip()
            if not name:
                raise dictionary_error(path, i, "a code line needs a name after '*'")
            codes.append((name, i, []))
        elif not codes:
            raise dictionary_error(path, i, f"{line!r} comes before any '*code' line")
        else:
            codes[-1][2].append((line, i))
    out = []
    for name, line, condition in codes:
        if not condition:
            raise dictionary_error(path, line, f"code {name!r} has no condition (give it on the next line)")
        out.append(Code(name, line, condition=tuple(condition)))
    return out

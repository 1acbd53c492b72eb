"""From student source text to the chunks the worker will define, without running anything.

Kept: imports, top-level `def`/`class`, and assignments to module-level names that the kept code
(or the assignment's contract) uses. Dropped: everything else at top level (training loops,
plots, `input()`, downloads, prints), IPython magics and `!shell` lines.
"""

from __future__ import annotations

import ast
import difflib
import re
import symtable
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from grader.results import Problem

# Cell magics whose body is still Python (the magic only times or captures it).
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# A statement-start line that IPython, not Python, understands: %magic, !shell, `x = !cmd`,
# `obj?` / `??obj` help.
_IPYTHON_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[%!]|\?{1,2}[\w.]|[\w.]+\?{1,2}\s*$|[\w, ]+=\s*[%!])"
)

ChunkKind = Literal["import", "definition", "assignment"]


@dataclass(frozen=True)
class SourceUnit:
    """A cell, or a whole module: the unit that line numbers and messages refer to."""

    filename: str
    text: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    filename: str
    first_line: int
    source: str
    defines: tuple[str, ...]
    kind: ChunkKind

    @property
    def where(self) -> str:
        return f"{self.filename}, line {self.first_line}"


@dataclass(frozen=True)
class StudentCode:
    chunks: tuple[Chunk, ...]
    # filename -> full source, so the worker can show student lines in tracebacks.
    sources: dict[str, str]
    # name -> where the definition that will be graded comes from.
    origins: dict[str, str]
    # Every top-level name the submission defines (for "did you mean ...?").
    defined: tuple[str, ...]
    problems: tuple[Problem, ...] = field(default=())

    def suggestion(self, name: str) -> str | None:
        return suggest(name, self.defined)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest defined name, for "did you mean ...?": same name but for case and
    underscores first, then a close spelling, then one name inside the other."""
    pool = [c for c in candidates if c != name]

    def norm(text: str) -> str:
        return text.replace("_", "").lower()

    same = [c for c in pool if norm(c) == norm(name)]
    if same:
        return same[0]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if close:
        return close[0]
    contains = [c for c in pool if len(c) >= 3 and (norm(c) in norm(name) or norm(name) in norm(c))]
    return max(contains, key=len) if contains else None


def strip_ipython(text: str) -> str:
    """Replace IPython-only lines by `pass` (same indent, same line count) so that Python parses
    the cell and line numbers still match what the student sees."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].strip() != "%%" else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return ""  # %%bash, %%writefile, %%html...: not Python at all
        lines[first] = "pass"
    cleaned = []
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        cleaned.append(f"{match.group('indent')}pass" if match else line)
    return "\n".join(cleaned)


def _parse(unit: SourceUnit, problems: list[Problem]) -> tuple[str, list[ast.stmt]]:
    """The text parsed and its top-level statements; on a syntax error, what can be salvaged."""
    for text in (unit.text, strip_ipython(unit.text)):
        try:
            return text, ast.parse(text).body
        except (SyntaxError, ValueError):
            continue
    text = strip_ipython(unit.text)
    try:
        ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        msg = getattr(exc, "msg", str(exc))
        problems.append(
            Problem(
                message=f"Syntax error in {unit.filename}, line {line}: {msg}.",
                where=f"{unit.filename}, line {line}",
                hint="The definitions elsewhere in this cell were still read; fix the line so the cell runs.",
                severity="error",
            )
        )
    return text, _salvage(text)


def _salvage(text: str) -> list[ast.stmt]:
    """Parse each top-level block of a broken unit on its own; keep those that parse."""
    lines = text.splitlines()
    starts = []
    for i, line in enumerate(lines):
        if not line or line[0] in " \t#)]}" or line.startswith(("else", "elif", "except", "finally")):
            continue
        if starts and i > 0 and lines[i - 1].rstrip().endswith("\\"):
            continue
        if starts and lines[starts[-1]].startswith("@") and all(
            lines[j].startswith("@") or not lines[j].strip() for j in range(starts[-1], i)
        ):
            continue  # keep decorators with what they decorate
        starts.append(i)
    body: list[ast.stmt] = []
    for start, end in zip(starts, [*starts[1:], len(lines)]):
        block = "\n".join(lines[start:end])
        try:
            tree = ast.parse(block)
        except (SyntaxError, ValueError):
            continue
        ast.increment_lineno(tree, start)
        body.extend(tree.body)
    return body


def _bound_by_import(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    names = []
    for alias in node.names:
        if alias.name == "*":
            names.append("*")
        elif alias.asname:
            names.append(alias.asname)
        else:
            names.append(alias.name.split(".")[0])
    return tuple(names)


def _assigned_names(node: ast.stmt) -> tuple[str, ...]:
    targets: list[ast.expr]
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    elif isinstance(node, ast.AugAssign):
        targets = [node.target]
    else:
        return ()
    names: list[str] = []
    for target in targets:
        elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        if not all(isinstance(e, ast.Name) for e in elts):
            return ()  # attribute or subscript targets mutate something: top-level behaviour
        names.extend(e.id for e in elts if isinstance(e, ast.Name))
    return tuple(names)


def _loads(node: ast.stmt) -> set[str]:
    """Module-level names a top-level statement reads, exactly: a function's own locals and
    parameters are not globals (so `x = ...` at top level is not kept for a `def` using a local x)."""
    try:
        table = symtable.symtable(ast.unparse(node), "<chunk>", "exec")
    except SyntaxError:
        return set()
    found: set[str] = set()

    def walk(scope: symtable.SymbolTable) -> None:
        for sym in scope.get_symbols():
            if scope.get_type() == "module":
                if sym.is_referenced():
                    found.add(sym.get_name())
            elif sym.is_global() and (sym.is_referenced() or sym.is_assigned()):
                found.add(sym.get_name())
            elif scope.get_type() == "class" and sym.is_referenced() and not sym.is_assigned():
                found.add(sym.get_name())
        for child in scope.get_children():
            walk(child)

    walk(table)
    return found


@dataclass
class _Candidate:
    order: int
    unit: SourceUnit
    text: str
    node: ast.stmt
    kind: ChunkKind
    defines: tuple[str, ...]

    @property
    def first_line(self) -> int:
        decorators = getattr(self.node, "decorator_list", [])
        return min([self.node.lineno, *(d.lineno for d in decorators)])

    def chunk(self) -> Chunk:
        lines = self.text.splitlines()
        segment = "\n".join(lines[self.first_line - 1 : self.node.end_lineno])
        try:
            ast.parse(segment)
        except (SyntaxError, ValueError):
            segment = ast.unparse(self.node)
        return Chunk(self.unit.filename, self.first_line, segment, self.defines, self.kind)


def extract_code(units: Sequence[SourceUnit], required: Sequence[str] = ()) -> StudentCode:
    """Choose what to define from the units, in order. `required` are the contract's names."""
    problems: list[Problem] = []
    candidates: list[_Candidate] = []
    for unit in units:
        text, body = _parse(unit, problems)
        for node in body:
            kind: ChunkKind
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                kind, defines = "import", _bound_by_import(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kind, defines = "definition", (node.name,)
            else:
                kind, defines = "assignment", _assigned_names(node)
                if not defines:
                    continue  # top-level behaviour: never run
            candidates.append(_Candidate(len(candidates), unit, text, node, kind, defines))

    chosen_defs = _choose_definitions(candidates, problems)
    needed = set(required)
    for cand in chosen_defs.values():
        needed |= _loads(cand.node)
    assignments = [c for c in candidates if c.kind == "assignment"]
    kept_assignments: set[int] = set()
    changed = True
    while changed:
        changed = False
        for cand in assignments:
            if cand.order not in kept_assignments and needed & set(cand.defines):
                kept_assignments.add(cand.order)
                needed |= _loads(cand.node)
                changed = True

    kept: list[_Candidate] = []
    for cand in candidates:
        if cand.kind == "import":
            if "*" in cand.defines or needed & set(cand.defines):
                kept.append(cand)
        elif cand.kind == "definition":
            if chosen_defs.get(cand.defines[0]) is cand:
                kept.append(cand)
        elif cand.order in kept_assignments:
            kept.append(cand)
    # Imports first (a cell order that uses a name before importing it still works when run
    # top to bottom in Jupyter only by luck of execution order), then the rest in order.
    kept.sort(key=lambda c: (c.kind != "import", c.order))

    origins = {}
    for cand in kept:
        for name in cand.defines:
            origins[name] = _where(cand)
    defined = tuple(dict.fromkeys(n for c in candidates for n in c.defines if n != "*"))
    return StudentCode(
        chunks=tuple(c.chunk() for c in kept),
        sources={u.filename: u.text for u in units},
        origins=origins,
        defined=defined,
        problems=tuple(problems),
    )


def _where(cand: _Candidate) -> str:
    if cand.unit.filename.startswith("cell "):
        return cand.unit.filename
    return f"{cand.unit.filename}, line {cand.first_line}"


def _choose_definitions(candidates: list[_Candidate], problems: list[Problem]) -> dict[str, _Candidate]:
    by_name: dict[str, list[_Candidate]] = {}
    for cand in candidates:
        if cand.kind == "definition":
            by_name.setdefault(cand.defines[0], []).append(cand)
    chosen = {}
    for name, cands in by_name.items():
        tagged = [c for c in cands if f"exercise:{name}" in c.unit.tags]
        pick = (tagged or cands)[-1]
        chosen[name] = pick
        if len(cands) > 1:
            places = ", ".join(_where(c) for c in cands)
            why = "the cell tagged for it" if tagged else "the last one"
            problems.append(
                Problem(
                    message=f"{name} is defined {len(cands)} times ({places}); graded {why}, in {_where(pick)}.",
                    where=_where(pick),
                    hint="Keep one definition per name so that what is graded is what you meant.",
                    severity="info",
                )
            )
    return chosen

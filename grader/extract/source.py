"""From student source text to the chunks the worker will define, without running anything.

Kept: imports, top-level `def`/`class`, and assignments to module-level names that the kept code
(or the assignment's contract) uses. Dropped: everything else at top level (training loops,
plots, `input()`, downloads, prints), IPython magics and `!shell` lines.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import symtable
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from grader.extract.budget import Budget, ExtractError
from grader.extract.parse import UNREADABLE, parse_unit, split_lines, strip_ipython, try_parse
from grader.results import Problem

__all__ = ["Alternative", "Budget", "Chunk", "ExtractError", "SourceUnit", "StudentCode", "extract_code",
           "strip_ipython", "suggest"]


ChunkKind = Literal["import", "definition", "assignment"]


@dataclass(frozen=True)
class SourceUnit:
    """A cell, or a whole module: the unit that line numbers and messages refer to."""

    filename: str
    text: str
    tags: tuple[str, ...] = ()
    # The notebook's execution count for a cell (what the kernel ran last), when it kept one.
    execution_count: int | None = None


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
    # Contract name -> the other definitions the student wrote for it, each as the whole code to
    # grade with it instead (most preferred first). The pipeline grades each and keeps the best.
    alternatives: dict[str, tuple[Alternative, ...]] = field(default_factory=dict)

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


# Nodes that open a scope of their own: only then does `_loads` need the symbol table.
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _loads(node: ast.stmt) -> set[str]:
    """Module-level names a top-level statement reads, exactly: a function's own locals and
    parameters are not globals (so `x = ...` at top level is not kept for a `def` using a local x).
    Raises one of UNREADABLE when the statement is too deep to analyse."""
    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Constant)):
        return {node.value.id} if isinstance(node.value, ast.Name) else set()  # `x = y`, `x = 3`
    inner = list(ast.walk(node))
    if not any(isinstance(n, _SCOPES) for n in inner):
        # One scope: every name read is a module-level name (the common case, and linear).
        return {n.id for n in inner if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = symtable.symtable(ast.unparse(node), "<chunk>", "exec")
    found: set[str] = set()
    scopes = [table]
    while scopes:
        scope = scopes.pop()
        for sym in scope.get_symbols():
            if scope.get_type() == "module":
                if sym.is_referenced():
                    found.add(sym.get_name())
            elif sym.is_global() and (sym.is_referenced() or sym.is_assigned()):
                found.add(sym.get_name())
            elif scope.get_type() == "class" and sym.is_referenced() and not sym.is_assigned():
                found.add(sym.get_name())
        scopes.extend(scope.get_children())
    return found


@dataclass
class _Candidate:
    order: int
    unit: SourceUnit
    # The parsed text's lines, shared by every candidate of the unit (split once).
    lines: list[str]
    node: ast.stmt
    kind: ChunkKind
    defines: tuple[str, ...]
    loads: frozenset[str] = frozenset()
    # True when no other statement shares its lines: its lines then parse on their own.
    alone: bool = False

    @functools.cached_property
    def first_line(self) -> int:
        decorators = getattr(self.node, "decorator_list", [])
        return min([self.node.lineno, *(d.lineno for d in decorators)])

    @property
    def rank(self) -> tuple[int, int]:
        """Which of several definitions the student ran last: the highest execution count when
        the notebook kept them, else the last in the file."""
        count = self.unit.execution_count
        return (count if count is not None else -1, self.order)

    def chunk(self) -> Chunk:
        segment = "\n".join(self.lines[self.first_line - 1 : self.node.end_lineno])
        if not self.alone and isinstance(try_parse(segment), BaseException):
            segment = ast.unparse(self.node)
        return Chunk(self.unit.filename, self.first_line, segment, self.defines, self.kind)


@dataclass(frozen=True)
class Alternative:
    """Another definition of a contract name, as the whole code to grade with it instead."""

    where: str
    code: StudentCode


def extract_code(units: Sequence[SourceUnit], required: Sequence[str] = (), *,
                 budget: Budget | None = None) -> StudentCode:
    """Choose what to define from the units, in order. `required` are the contract's names.

    Raises ExtractError when the code is beyond the budget (size, statements, time)."""
    budget = budget or Budget()
    budget.check_source(sum(len(u.text) for u in units))
    problems: list[Problem] = []
    candidates: list[_Candidate] = []
    for unit in units:
        text, body = parse_unit(unit.filename, unit.text, problems, budget)
        budget.count(len(body))
        lines = split_lines(text)
        for index, node in enumerate(body):
            budget.tick()
            candidate = _candidate(len(candidates), unit, lines, node, problems)
            if candidate is not None:
                candidate.alone = _alone(body, index, candidate.first_line)
                candidates.append(candidate)

    by_name: dict[str, list[_Candidate]] = {}
    for cand in candidates:
        if cand.kind == "definition":
            by_name.setdefault(cand.defines[0], []).append(cand)
    chosen_defs = {name: max(cands, key=lambda c: c.rank) for name, cands in by_name.items()}
    code = _assemble(units, candidates, chosen_defs, required, problems, budget)

    alternatives: dict[str, tuple[Alternative, ...]] = {}
    for name in required:
        others = _other_candidates(name, by_name.get(name, []), chosen_defs.get(name))
        alts = []
        for other in others:
            code_with = _assemble(units, candidates, {**chosen_defs, name: other}, required, [], budget)
            alts.append(Alternative(_where(other), code_with))
        if alts:
            alternatives[name] = tuple(alts)
    for name, cands in by_name.items():
        if len(cands) > 1 and name not in alternatives:
            pick = chosen_defs[name]
            places = ", ".join(_where(c) for c in cands)
            why = "the one run last" if pick.unit.execution_count is not None else "the last one"
            problems.append(
                Problem(
                    message=f"{name} is defined {len(cands)} times ({places}); used {why}, in {_where(pick)}.",
                    where=_where(pick),
                    hint="Keep one definition per name so that what is graded is what you meant.",
                    severity="info",
                )
            )
    return dataclasses.replace(code, problems=tuple(problems), alternatives=alternatives)


# How many definitions of one contract name are graded: the most recent ones, plus the cell
# tagged for the exercise. Each costs one more run of that exercise's tests.
MAX_CANDIDATES = 4


def _other_candidates(name: str, cands: list[_Candidate], chosen: _Candidate | None) -> list[_Candidate]:
    """The definitions of `name` besides the default, most preferred first (see `rank`)."""
    if chosen is None or len(cands) < 2:
        return []
    recent = sorted(cands, key=lambda c: c.rank)[-MAX_CANDIDATES:]
    tagged = [c for c in cands if f"exercise:{name}" in c.unit.tags][-1:]
    pool = {c.order: c for c in (*recent, *tagged) if c is not chosen}
    return sorted(pool.values(), key=lambda c: c.rank, reverse=True)


def _alone(body: list[ast.stmt], index: int, first_line: int) -> bool:
    """Whether statement `index` of `body` starts a line and no neighbour shares its lines."""
    node = body[index]
    before = body[index - 1].end_lineno if index > 0 else 0
    after = body[index + 1].lineno if index + 1 < len(body) else None
    starts_line = node.col_offset == 0 and not getattr(node, "decorator_list", None)
    return (starts_line and before is not None and before < first_line
            and node.end_lineno is not None and (after is None or after > node.end_lineno))


def _candidate(order: int, unit: SourceUnit, lines: list[str], node: ast.stmt,
               problems: list[Problem]) -> _Candidate | None:
    kind: ChunkKind
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _Candidate(order, unit, lines, node, "import", _bound_by_import(node))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        kind, defines = "definition", (node.name,)
    else:
        kind, defines = "assignment", _assigned_names(node)
        if not defines:
            return None  # top-level behaviour: never run
    try:
        loads = frozenset(_loads(node))
    except UNREADABLE:
        problems.append(
            Problem(
                message=f"{', '.join(defines)} in {unit.filename}, line {node.lineno} is nested too deeply to be read; it was left out.",
                where=f"{unit.filename}, line {node.lineno}",
                hint="Split the expression into several shorter lines.",
                severity="error",
            )
        )
        return None
    return _Candidate(order, unit, lines, node, kind, defines, loads)


def _assemble(units: Sequence[SourceUnit], candidates: list[_Candidate], chosen_defs: dict[str, _Candidate],
              required: Sequence[str], problems: list[Problem], budget: Budget) -> StudentCode:
    """The code to define for one choice of definitions: the chosen definitions, the imports and
    module-level assignments they (or the contract) read, transitively. Linear: assignments are
    indexed by the names they bind and each is visited once."""
    assignments_of: dict[str, list[_Candidate]] = {}
    for cand in candidates:
        if cand.kind == "assignment":
            for name in cand.defines:
                assignments_of.setdefault(name, []).append(cand)
    needed: set[str] = set()
    todo: list[str] = list(required)
    for cand in chosen_defs.values():
        todo.extend(cand.loads)
    kept_assignments: set[int] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        budget.tick()
        for cand in assignments_of.get(name, ()):
            if cand.order not in kept_assignments:
                kept_assignments.add(cand.order)
                todo.extend(cand.loads)

    kept: list[_Candidate] = []
    for cand in candidates:
        if cand.kind == "import":
            if "*" in cand.defines or needed.intersection(cand.defines):
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
    chunks = []
    for cand in kept:
        budget.tick()
        try:
            chunks.append(cand.chunk())
        except UNREADABLE:
            continue  # parsed once already: only a pathological unparse gets here
    return StudentCode(
        chunks=tuple(chunks),
        sources={u.filename: u.text for u in units},
        origins=origins,
        defined=defined,
        problems=tuple(problems),
    )


def _where(cand: _Candidate) -> str:
    if cand.unit.filename.startswith("cell "):
        return cand.unit.filename
    return f"{cand.unit.filename}, line {cand.first_line}"

"""Two ways to score code similarity, on the same real variants: copydetect vs difflib.

    .venv/bin/python benchmarks/similarity_methods.py [--students 200]

Cases built from tp1: the reference against a copy with renamed variables, against the same
copy with its definitions in another order, against an independently written solution (the
course-style variant), and the starter-only submission against the reference. A good method
scores the copies high, the independent solution lower and the starter ~0 (it is boilerplate).
Then the time to compare N synthetic students, all pairs, with each method (ratio in one run).
"""

from __future__ import annotations

import argparse
import difflib
import io
import keyword
import random
import re
import time
import tokenize
from pathlib import Path

from grader.assignment import load_assignment
from grader.similarity import compare, kept_code

ROOT = Path(__file__).resolve().parent.parent


def normalized_tokens(code: str) -> list[str]:
    """difflib's input: Python tokens with names -> V, strings -> S, comments dropped."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                out.append("V")
            elif tok.type == tokenize.STRING:
                out.append("S")
            elif tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                continue
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def difflib_score(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalized_tokens(a), normalized_tokens(b), autojunk=False).ratio()


def renamed(code: str) -> str:
    for old, new in [("x", "inputs"), ("y", "targets"), ("net", "model"), ("loss", "err"), ("n_data", "count")]:
        code = re.sub(rf"\b{old}\b", new, code)
    return code


def reordered(code: str) -> str:
    blocks = re.split(r"\n(?=def |class )", code)
    head, defs = blocks[0], blocks[1:]
    return "\n".join([head, *reversed(defs)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    tp1 = load_assignment(ROOT, "tp1")
    reference = kept_code(ROOT / "reference/tp1/tp1_solution.ipynb", tp1)
    starter = kept_code(tp1.starter_path, tp1)
    course = kept_code(ROOT / "assignments/tp1/variants/ok_course_style.py", tp1)
    cases = {
        "renamed copy": renamed(reference),
        "renamed + reordered copy": reordered(renamed(reference)),
        "independent solution": course,
        "starter only": starter,
    }
    print(f"{'reference vs':<28}{'copydetect':>12}{'difflib':>10}")
    for label, other in cases.items():
        pairs = compare([("reference", reference), ("other", other)], boilerplate=starter).pairs
        cd = pairs[0].score if pairs else 0.0
        print(f"{label:<28}{cd:>12.2f}{difflib_score(reference, other):>10.2f}")

    rng = random.Random(0)
    pool = [reference, course, renamed(reference), reordered(course)]
    students = [(f"s{i}", rng.choice(pool) + f"\nSEED_{i} = {i}\n") for i in range(args.students)]
    start = time.perf_counter()
    compare(students, boilerplate=starter)
    copydetect_s = time.perf_counter() - start
    start = time.perf_counter()
    tokens = [normalized_tokens(code) for _, code in students]
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens)):
            difflib.SequenceMatcher(None, tokens[i], tokens[j], autojunk=False).ratio()
    difflib_s = time.perf_counter() - start
    print(f"{args.students} students, all pairs: difflib / copydetect time = {difflib_s / copydetect_s:.1f}")


if __name__ == "__main__":
    main()

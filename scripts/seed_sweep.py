"""Grade each assignment's reference and variants under many seeds, and show the margins.

    GRADER_DATA_DIR=../shared/data/mnist-mini nice -n 10 .venv/bin/python scripts/seed_sweep.py
    .venv/bin/python scripts/seed_sweep.py --seeds 40 --jobs 2 mnist-mlp

Each seed replaces the assignment's own, so every test draws new data, a new initialisation and
a new MNIST subset. For every bounded check (check.between, at_most, at_least) of the hidden
and public tests, it prints the threshold, the reference's worst value over the seeds (the
margin is how far that worst value stays inside) and the failing value of the broken variant
that came closest from the other side; then, for every variant, whether its verdict
(the exercise a broken one loses, full marks for a correct one) held under every seed. Exits 1
if the reference lost a point or a verdict changed under some seed. Run it by hand after
changing a test, a budget or a threshold (it takes minutes: it is not part of `make test`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import load_assignment  # noqa: E402
from grader.jobs import GradeJob, GradeOutcome, ProcessPool, assignment_digest, grade_many  # noqa: E402
from tests.e2e.variants import expected_losses, lost, reference, variants  # noqa: E402

# The assignments whose tests train networks or draw statistics under the seed.
DEFAULT = ("regressor", "first-network", "mnist-mlp")


Graded = tuple[set[str], dict[str, list[tuple[str, float, float, float]]], str]


def job(slug: str, path: Path, seed: int) -> GradeJob:
    return GradeJob(data=path.read_bytes(), filename=path.name, student=path.stem, assignment=slug,
                    assignment_digest=assignment_digest(load_assignment(ROOT, slug)), hidden=True, seed=seed,
                    measures=True, label=f"{path}\0{seed}")


def verdict(slug: str, path: Path, outcome: GradeOutcome) -> Graded:
    """(exercises lost, {test: [(check, value, low, high)]}, grader error) for one grading."""
    spec = load_assignment(ROOT, slug)
    result = outcome.result
    if result is None:
        return set(), {}, outcome.message
    faults = [f"{t.name}: {t.message}" for e in result.exercises for t in e.tests if t.fault == "grader"]
    measures = {name: list(checks) for name, checks in outcome.measures.items()}
    return lost(spec, result.exercises, path), measures, result.grader_error or "; ".join(faults)


def margin(value: float, low: float, high: float) -> float:
    return min(value - low, high - value) if not math.isnan(value) else -math.inf


def bounds(low: float, high: float) -> str:
    if low == -math.inf:
        return f"<= {high:.4g}"
    if high == math.inf:
        return f">= {low:.4g}"
    return f"in [{low:.4g}, {high:.4g}]"


def sweep(slug: str, seeds: list[int], pool: ProcessPool) -> bool:
    subjects = {"reference": reference(slug), **{p.stem: p for p in variants(slug)}}
    jobs = {(name, seed): job(slug, path, seed) for name, path in subjects.items() for seed in seeds}
    outcomes = {o.label: o for o in grade_many(jobs.values(), pool, ROOT)}
    results = {(name, seed): verdict(slug, subjects[name], outcomes[j.label]) for (name, seed), j in jobs.items()}
    print(f"\n== {slug}: the reference and {len(subjects) - 1} variants, each under {len(seeds)} seeds")

    worst: dict[tuple[str, str], tuple[float, float, float, float]] = {}  # (test, check) -> value, low, high, margin
    reference_ok = True
    for seed in seeds:
        lost_here, measures, error = results[("reference", seed)]
        if lost_here or error:
            reference_ok = False
            print(f"   reference, seed {seed}: lost {sorted(lost_here)} {error}")
        for test, checks in measures.items():
            for what, value, low, high in checks:
                m = margin(value, low, high)
                if (test, what) not in worst or m < worst[(test, what)][3]:
                    worst[(test, what)] = (value, low, high, m)
    # On the other side of each threshold: the failing value of a broken variant that came closest.
    nearest_miss: dict[tuple[str, str], tuple[float, float, str]] = {}  # -> value, margin (< 0), variant
    for (name, _seed), (_, measures, _) in results.items():
        if name == "reference" or not expected_losses(subjects[name]):
            continue
        for test, checks in measures.items():
            for what, value, low, high in checks:
                m = margin(value, low, high)
                if m < 0 and (test, what) in worst and ((test, what) not in nearest_miss or m > nearest_miss[(test, what)][1]):
                    nearest_miss[(test, what)] = (value, m, name)
    print(f"   reference: full marks under {'every' if reference_ok else 'NOT every'} seed")
    print(f"   {'test, then each of its bounded checks':66} {'threshold':>20} {'worst':>9} {'margin':>9}"
          "   closest failing broken variant")
    current = None
    for (test, what), (value, low, high, m) in sorted(worst.items()):
        if test != current:
            print(f"   {test}")
            current = test
        miss = nearest_miss.get((test, what))
        missed = f"   {miss[0]:.4g} ({miss[2]})" if miss else ""
        print(f"     {what[:64]:64} {bounds(low, high):>20} {value:9.4g} {m:9.3g}{missed}")

    verdicts_ok = True
    for name, path in subjects.items():
        if name == "reference":
            continue
        want = expected_losses(path)
        wrong = [(seed, results[(name, seed)]) for seed in seeds
                 if results[(name, seed)][0] != want or results[(name, seed)][2]]
        if wrong:
            verdicts_ok = False
            seed, (got, _, error) = wrong[0]
            print(f"   {name}: expected to lose {sorted(want) or 'nothing'}; under {len(wrong)} seed(s), "
                  f"e.g. {seed}, lost {sorted(got) or 'nothing'} {error}")
    broken = sum(1 for name, path in subjects.items() if name != "reference" and expected_losses(path))
    if verdicts_ok:
        print(f"   variants: every verdict held under all {len(seeds)} seeds: each of the {broken} broken variants "
              f"lost its exercise (and no other) under every seed, each correct one earned full marks")
    return reference_ok and verdicts_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", default=list(DEFAULT), metavar="SLUG")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per submission (default 20)")
    parser.add_argument("--jobs", type=int, default=1, help="gradings in parallel (default 1)")
    args = parser.parse_args(argv)
    ok = True
    with ProcessPool(max(1, args.jobs)) as pool:
        for slug in args.slugs:
            base = load_assignment(ROOT, slug).seed
            ok &= sweep(slug, [base + k for k in range(args.seeds)], pool)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

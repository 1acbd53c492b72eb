"""The test runner's rules: outcomes are classified, never inferred, and hidden tests stay hidden."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from grader import cli
from grader.assignment import load_assignment
from grader.intake import read_submission
from grader.pipeline import grade_submission
from grader.report import render_html
from grader.run.plugin import GradingPlugin, _Meta

MANIFEST = """\
slug = "mini"
title = "Mini"
[limits]
call_seconds = 5
load_seconds = 5
submission_seconds = 120
[[exercises]]
name = "f"
[[exercises]]
name = "g"
"""
PUBLIC = """\
import pytest

@pytest.mark.exercise("f")
def test_f_returns_an_int(student):
    assert isinstance(student.f(), int), "f should return an int."

@pytest.mark.exercise("g")
def test_g_runs(student):
    student.g()

@pytest.mark.exercise("g")
def test_with_a_grader_bug(student):
    {}["oops"]
"""
HIDDEN = """\
import pytest
import warnings

SECRET = 31337

@pytest.mark.exercise("f")
@pytest.mark.points(3)
def test_f_value(student):
    '''A description only the instructor reads.'''
    assert student.f() == SECRET

@pytest.mark.exercise("f")
def test_f_with_a_hidden_grader_bug(student):
    raise KeyError(SECRET)

@pytest.mark.exercise("g")
def test_g_warns_but_passes(student):
    warnings.warn("a warning in the trusted process")
    student.g()
"""


def make_course(root: Path, hidden: str = HIDDEN) -> Path:
    base = root / "assignments" / "mini"
    (base / "tests" / "public").mkdir(parents=True)
    (base / "tests" / "hidden").mkdir(parents=True)
    (base / "assignment.toml").write_text(MANIFEST)
    (base / "tests" / "public" / "test_public.py").write_text(PUBLIC)
    (base / "tests" / "hidden" / "test_hidden.py").write_text(hidden)
    return root


def grade(root: Path, source: str, hidden: bool = True):
    path = root / "student.py"
    path.write_text(textwrap.dedent(source))
    return grade_submission(read_submission(path), load_assignment(root, "mini"), hidden=hidden)


def by_name(result):
    return {t.name: t for e in result.exercises for t in e.tests}


def test_outcomes_are_classified_and_grader_bugs_blame_the_grader(tmp_path):
    result = grade(make_course(tmp_path), "def f():\n    return 7\ndef g():\n    import sys\n    print('x', file=sys.stderr)\n")
    tests = by_name(result)
    assert tests["test_f_returns_an_int"].status == "passed"
    assert (tests["test_f_value"].status, tests["test_f_value"].fault) == ("failed", "student")
    bug = tests["test_with_a_grader_bug"]
    assert (bug.status, bug.fault, bug.points) == ("error", "grader", 0.0)
    assert "grader failed" in bug.message and "not your code's fault" in bug.message
    assert tests["test_g_warns_but_passes"].status == "passed"  # warnings never cost points
    assert result.score == 1 + 1 + 1


def test_a_hidden_tests_source_and_expected_values_never_reach_the_report(tmp_path):
    result = grade(make_course(tmp_path), "def f():\n    return 7\ndef g():\n    pass\n")
    for text in (json.dumps(result.to_json()), render_html(result), render_html(result, show_hidden_test_names=False)):
        assert "31337" not in text and "SECRET" not in text and "== " not in text
        assert "A description only the instructor reads" not in text
    assert by_name(result)["test_f_value"].message == "The check failed."
    assert "KeyError)" in by_name(result)["test_f_with_a_hidden_grader_bug"].message


def test_tests_that_cannot_be_loaded_make_a_grader_error_not_a_zero(tmp_path, capsys):
    root = make_course(tmp_path, hidden="def broken(:\n")
    result = grade(root, "def f():\n    return 7\n")
    assert "could not be loaded" in result.grader_error
    (root / "student.py").write_text("def f():\n    return 7\n")
    code = cli.main(["--course", str(root), "local", str(root / "student.py"), "--hidden", "--out", str(tmp_path)])
    assert code == cli.EXIT_GRADER_FAILED
    assert "grader" in capsys.readouterr().out.lower()


def test_a_test_without_a_recorded_outcome_is_never_passed():
    plugin = GradingPlugin.__new__(GradingPlugin)
    plugin.metas = {"a": _Meta("test_a", "f", 2.0, False, ""), "b": _Meta("test_b", "f", 1.0, True, "")}
    plugin.order = ["a", "b"]
    plugin.outcomes = {"a": ("passed", "", "")}
    plugin.figures = {}
    plugin.drawn = {}
    results = plugin.results()
    assert [(r.status, r.points) for r in results] == [("passed", 2.0), ("error", 0.0)]
    assert results[1].fault == "grader"


def test_a_worker_killed_mid_test_fails_that_test_and_the_rest_still_run(tmp_path):
    source = "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGKILL)\ndef g():\n    pass\n"
    tests = by_name(grade(make_course(tmp_path), source))
    killed = tests["test_f_returns_an_int"]
    assert (killed.status, killed.points) == ("error", 0.0)
    assert "SIGKILL (often: out of memory)" in killed.message
    assert tests["test_g_runs"].status == "passed" and tests["test_g_warns_but_passes"].status == "passed"


def test_every_definition_of_a_contract_name_is_graded_and_the_best_kept(tmp_path):
    root = make_course(tmp_path)
    # A correct f, then a broken experiment below it (the default: the last one).
    result = grade(root, """
        def f():
            return 1

        def g():
            pass

        def f():
            return "experiment"
    """, hidden=False)
    f = next(e for e in result.exercises if e.name == "f")
    assert f.score == f.max_score == 1
    assert f.source == "student.py, line 2, the best of 2 definitions"
    assert any("graded the definition in student.py, line 2" in p.message and p.severity == "info"
               for p in result.problems)


def test_only_the_named_exercises_tests_run_when_asked(tmp_path):
    from grader.extract import extract
    from grader.run.session import run_tests

    root = make_course(tmp_path)
    (tmp_path / "s.py").write_text("def f():\n    return 1\ndef g():\n    pass\n")
    spec = load_assignment(root, "mini")
    submission = read_submission(tmp_path / "s.py")
    outcome = run_tests(spec, extract(submission, spec), "s.py", hidden=False, seed=0, exercises={"f"})
    assert [t.exercise for t in outcome.tests] == ["f"]


def test_a_test_that_captures_logs_or_uses_subtests_still_gets_its_fixture(tmp_path):
    """The grader turns pytest's logging and subtests plugins off for speed, but never for tests
    that use them: a test with caplog or subtests passes for correct code and fails for wrong."""
    hidden = HIDDEN + textwrap.dedent('''
        import logging

        @pytest.mark.exercise("g")
        def test_g_logs(student, caplog):
            with caplog.at_level(logging.INFO):
                logging.getLogger("course").info("value %s", student.f())
            assert [r.getMessage() for r in caplog.records] == ["value 7"]

        @pytest.mark.exercise("g")
        def test_g_in_parts(student, subtests):
            for n in (1, 2):
                with subtests.test(n=n):
                    assert student.f() == 7
    ''')
    root = make_course(tmp_path, hidden=hidden)
    tests = by_name(grade(root, "def f():\n    return 7\ndef g():\n    pass\n"))
    assert tests["test_g_logs"].status == "passed" and tests["test_g_in_parts"].status == "passed"
    tests = by_name(grade(root, "def f():\n    return 8\ndef g():\n    pass\n"))
    assert tests["test_g_logs"].status == "failed" and tests["test_g_in_parts"].status == "failed"


def test_the_plugins_left_out_follow_what_the_tests_use_and_their_edits(tmp_path):
    from grader.run.session import plugins_off

    root = make_course(tmp_path)
    spec = load_assignment(root, "mini")
    folders = [spec.public_tests, spec.hidden_tests]
    assert {"no:logging", "no:subtests", "no:junitxml"} <= set(plugins_off(spec, folders))
    test_file = spec.hidden_tests / "test_hidden.py"
    test_file.write_text(HIDDEN + "\ndef test_logs(caplog):\n    pass\n")
    os.utime(test_file, ns=(test_file.stat().st_atime_ns, test_file.stat().st_mtime_ns + 10**9))
    off = set(plugins_off(spec, folders))
    assert "no:logging" not in off and "no:subtests" in off
    (root / "assignments" / "mini" / "conftest.py").write_text("import pytest\n@pytest.fixture\ndef parts(subtests):\n    return subtests\n")
    assert "no:subtests" not in set(plugins_off(spec, folders))

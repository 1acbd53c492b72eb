import pytest


@pytest.mark.exercise("honest")
def test_honest_doubles(student):
    assert student.honest(21) == 42, "honest(21) should be 42."

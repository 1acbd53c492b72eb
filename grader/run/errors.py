"""Outcomes of calling into student code, as exceptions the test runner turns into statuses.

Each carries the status it maps to and whose fault it is, so that a student's bug, a timeout, a
dead worker and a grader bug can never be confused in a report.
"""

from __future__ import annotations


class StudentFault(Exception):
    """Something the student's code did: the test does not pass, and the message says why."""

    status = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StudentError(StudentFault):
    """Student code raised an exception."""

    def __init__(self, what: str, exc_type: str, message: str, student_traceback: str) -> None:
        text = f"{what} raised {exc_type}" + (f": {message}" if message else "")
        if exc_type == "SystemExit":
            text = f"{what} called sys.exit({message}); a graded function must return, not exit"
        super().__init__(text)
        self.exc_type = exc_type
        self.student_traceback = student_traceback


class MissingName(StudentFault):
    status = "missing"

    def __init__(self, name: str, suggestion: str | None) -> None:
        hint = f"; did you mean {suggestion}?" if suggestion else "."
        super().__init__(f"{name} is not defined in your submission{hint}")
        self.name = name


class CallTimeout(StudentFault):
    status = "timeout"


class WorkerDied(StudentFault):
    """The process running student code died (crash, os._exit, out of memory)."""

    status = "error"


class GraderFault(Exception):
    """The grader itself failed: never counted against the student without a second look."""


class ProtocolViolation(StudentFault):
    """The worker's reply broke the protocol (too big, too deep, unreadable, late): the process
    running student code was stopped, and nothing more is read from it."""

    status = "error"


class UnsendableValue(StudentFault):
    """Student code returned a value the wire cannot carry (a uint16 tensor, a 1000-deep list)."""

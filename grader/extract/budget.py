"""What extraction may spend on one submission: bytes, statements and seconds.

Extraction runs in the trusted process, before any sandbox, on text the student wrote. Every loop
over it is linear, and these bounds make its cost known whatever the text: past them the
submission is refused with one sentence (never a hang, never a traceback).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# All code cells together. The longest honest submission seen is ~60 KB; 8 MB is a hundred times
# more, and still parses in a few seconds.
MAX_SOURCE_BYTES = 8 * 1024 * 1024
# Top-level statements in all cells together (an honest notebook has a few hundred).
MAX_STATEMENTS = 400_000
# Wall-clock seconds for reading, parsing and analysing everything (honest notebooks: < 0.5 s).
MAX_SECONDS = 60.0


class ExtractError(Exception):
    """The submission's code is beyond what the grader reads: one sentence and a hint."""


@dataclass
class Budget:
    """A monotonic deadline and counters, checked inside extraction's loops."""

    filename: str = "the submission"
    max_bytes: int = MAX_SOURCE_BYTES
    max_statements: int = MAX_STATEMENTS
    seconds: float = MAX_SECONDS
    deadline: float = field(default=0.0)
    statements: int = 0

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = time.monotonic() + self.seconds

    def check_source(self, size: int) -> None:
        if size > self.max_bytes:
            raise ExtractError(
                f"{self.filename} holds {size >> 20} MB of code, more than the {self.max_bytes >> 20} MB the grader reads; "
                "send only the notebook of the assignment."
            )

    def count(self, statements: int) -> None:
        self.statements += statements
        if self.statements > self.max_statements:
            raise ExtractError(
                f"{self.filename} holds more than {self.max_statements:,} top-level statements; "
                "send only the notebook of the assignment."
            )
        self.tick()

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractError(
                f"Reading the code of {self.filename} took longer than {self.seconds:.0f} s; "
                "send only the notebook of the assignment."
            )

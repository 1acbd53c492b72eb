"""`grade batch`: a mailbox (or a folder of saved submissions) in, grades, reports, a gradebook
and replies out; resumable (state.py), parallel (grader.jobs)."""

"""Batch grading of a class: a mailbox (or a folder of saved submissions) in, grades out."""

"""Authoring verbs for instructors and CI: assign, validate, release, new."""

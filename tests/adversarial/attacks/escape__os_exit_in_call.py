# class: escape
# attack: end the worker process from inside a call
# reason: exited with code 9
# honest: 1
import os


def honest(x):
    return 2 * x

def answer():
    os._exit(9)

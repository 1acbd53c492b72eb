# class: escape
# attack: call sys.exit while the submission is loaded
# reason: raised SystemExit|sys.exit
# honest: 1
import sys


def honest(x):
    return 2 * x

STOP = sys.exit(0)


def answer():
    return STOP

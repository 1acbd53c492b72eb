# class: resources
# attack: sleep forever
# reason: took longer than \d+ s
# honest: 1
import time


def honest(x):
    return 2 * x

def answer():
    time.sleep(10**9)

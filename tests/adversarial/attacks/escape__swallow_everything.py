# class: escape
# attack: catch BaseException forever so that no stop request ends it
# reason: took longer than \d+ s
# honest: 1
import time


def honest(x):
    return 2 * x

def answer():
    while True:
        try:
            time.sleep(1000)
        except BaseException:
            pass

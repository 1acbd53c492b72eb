# class: persistence
# attack: register atexit hooks and finalizers that write when the worker ends
# reason: answer\(\) is not the secret
# honest: 1
import atexit
import os


def honest(x):
    return 2 * x

def mark():
    for target in ('/tmp/pwned', os.path.expanduser('~/pwned')):
        with open(target, 'w') as fh:
            fh.write('ran at exit')


atexit.register(mark)


class Finalizer:
    def __del__(self):
        mark()


KEEP = Finalizer()


def answer():
    return KEEP and 0

# class: resources
# attack: fill the disk with many files in the home directory
# reason: No space left on device|File too large
# honest: 1
import os


def honest(x):
    return 2 * x

def answer():
    block = b'x' * (1 << 20)
    for i in range(100000):
        with open(os.path.expanduser(f'~/fill{i}'), 'wb') as fh:
            for _ in range(8):
                fh.write(block)
    return 0

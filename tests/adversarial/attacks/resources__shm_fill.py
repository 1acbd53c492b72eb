# class: resources
# attack: fill /dev/shm, outside the home and file-size limits
# reason: No space left on device|File too large|killed for using
# honest: 1


def honest(x):
    return 2 * x

def answer():
    block = b'x' * (1 << 20)
    for i in range(100000):
        with open(f'/dev/shm/f{i}', 'wb') as fh:
            for _ in range(8):
                fh.write(block)
    return 0

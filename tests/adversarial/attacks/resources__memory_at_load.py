# class: resources
# attack: allocate all memory while the submission is loaded
# reason: killed for using more than \d+ MB of memory
# honest: 1


def honest(x):
    return 2 * x

HOARD = [bytearray(1 << 30) for _ in range(8)]


def answer():
    return len(HOARD)

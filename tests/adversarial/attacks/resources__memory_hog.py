# class: resources
# attack: allocate memory until the machine swaps
# reason: killed for using more than \d+ MB of memory
# honest: 1


def honest(x):
    return 2 * x


def answer():
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))

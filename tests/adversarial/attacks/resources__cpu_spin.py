# class: resources
# attack: spin the CPU forever
# reason: took longer than \d+ s
# honest: 1


def honest(x):
    return 2 * x

def answer():
    while True:
        pass

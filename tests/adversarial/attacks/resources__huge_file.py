# class: resources
# attack: write one file far over the file-size limit
# reason: File too large
# honest: 1


def honest(x):
    return 2 * x

def answer():
    with open('/tmp/big', 'wb') as fh:
        for _ in range(1000):
            fh.write(b'x' * (1 << 20))
    return 0

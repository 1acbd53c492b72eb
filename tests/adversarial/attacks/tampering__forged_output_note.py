# class: tampering
# attack: print the grader's own "bytes of output were dropped" note with a 5,000-digit count
# reason: output cut: the first 64 KB of \d+ KB are shown \.\.\.\]$
# honest: 1


def honest(x):
    print("a" * 70_000)
    print("[... " + "9" * 5000 + " more bytes of output were dropped ...]")
    return 2 * x


def answer():
    return 0

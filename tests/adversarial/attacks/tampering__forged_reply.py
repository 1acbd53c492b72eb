# class: tampering
# attack: patch the worker's wire to send a forged reply the trusted side might unpickle
# reason: unreadable value|unreadable reply
# honest: 1
import grader.run.wire as wire


def honest(x):
    return 2 * x


def answer():
    real = wire.send

    def forged(sock, doc, blobs):
        real(sock, {"ok": True, "value": {"$": "pickle", "data": "cos\nsystem\n(S'touch /tmp/pwned'\ntR."}}, [])

    wire.send = forged
    return 0

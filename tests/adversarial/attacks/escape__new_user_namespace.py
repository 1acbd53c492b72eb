# class: escape
# attack: unshare a user namespace to become root inside it
# reason: Operation not permitted|EPERM
# honest: 1
import ctypes
import os


def honest(x):
    return 2 * x

libc = ctypes.CDLL(None, use_errno=True)


def answer():
    if libc.unshare(0x10000000) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return 48151623

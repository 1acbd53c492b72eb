# class: escape
# attack: mount a filesystem and chroot out of the sandbox view
# reason: Operation not permitted
# honest: 1
import ctypes
import os


def honest(x):
    return 2 * x

libc = ctypes.CDLL(None, use_errno=True)


def answer():
    if libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) != 0 and libc.chroot(b'/tmp') != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return 0

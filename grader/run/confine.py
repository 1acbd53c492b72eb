"""Confine one forked worker from inside, step by step (Linux, run as root in the zygote).

A cold worker gets its confinement from bubblewrap and setpriv before Python starts; a worker
forked from the zygote (`grader.run.zygote`) must build the same walls itself, before any student
code reaches it. Python 3.11 has no os.unshare or mount, so the system calls go through libc with
ctypes. Every call's result is checked: a step that fails raises ConfinementFailed, and the
zygote's child then exits without serving (fail closed).

The steps, in the order the kernel requires them:
  in the first child:  unshare new mount, PID, IPC, network, UTS and cgroup namespaces (after the
                       trusted side has moved it into its cgroups); make every mount private
  in the new PID 1:    a /proc of the new PID namespace; fresh tmpfs home, /tmp, /dev/shm and
                       /dev/pts; then descriptors, session, rlimits; drop to the sandbox's uid with
                       no groups and no capabilities; no_new_privs; the syscall filter.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SECCOMP_MODE_FILTER = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522

HOME = "/home/student"
# Parts of /proc that bubblewrap makes read-only; the fresh /proc gets the same.
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementFailed(Exception):
    """A step of the confinement failed: the worker must not serve."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise ConfinementFailed(f"{what}: {os.strerror(code)} (errno {errno.errorcode.get(code, code)})")


def _prctl(what: str, option: int, arg2: int = 0, arg3: int | ctypes.c_void_p = 0) -> None:
    third = arg3 if isinstance(arg3, ctypes.c_void_p) else ctypes.c_ulong(arg3)
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), third, ctypes.c_ulong(0), ctypes.c_ulong(0)), what)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {fstype or source} on {target}")


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def set_parent_death_signal(sig: int) -> None:
    """Die with the parent; cleared by fork and by a change of uid, so set after each."""
    _prctl("prctl(PR_SET_PDEATHSIG)", PR_SET_PDEATHSIG, sig)


def set_dumpable() -> None:
    """A uid change without exec leaves the process undumpable, its /proc entries owned by root;
    a cold worker (exec'd by setpriv) is dumpable: the forked worker is made the same."""
    _prctl("prctl(PR_SET_DUMPABLE)", PR_SET_DUMPABLE, 1)


def new_namespaces() -> None:
    """In the first child: namespaces of its own. Its next child is PID 1 of the new PID namespace."""
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWCGROUP)
    # Private: nothing mounted below reaches the zygote or another worker, and back.
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def fresh_filesystems(tmpfs_bytes: int) -> None:
    """In the new PID 1: its own /proc, and empty sized tmpfs for everything writable."""
    umount2("/proc", MNT_DETACH)  # the zygote's /proc, with its read-only submounts
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_READ_ONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            mount(path, path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    needed = _python_paths()
    for path in ("/tmp", "/dev/shm", HOME):
        # What the worker imports may live below (a checkout in /tmp): held open before the empty
        # tmpfs hides it, then bound back read-only on top, as bubblewrap's order does for a cold one.
        hidden = [p for p in needed if p == path or p.startswith(path + "/")]
        held = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in hidden]
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmpfs_bytes},mode=1777")
        for target, fd in zip(hidden, held):
            os.makedirs(target, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
            mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
            os.close(fd)
    if os.path.isdir("/dev/pts"):  # ptys of its own (bwrap's --dev links /dev/ptmx to pts/ptmx)
        mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    os.chdir(HOME)


def _python_paths() -> list[str]:
    """The folders a worker imports from (the same that bubblewrap binds: sandbox.bwrap_argv)."""
    import sys

    import grader

    paths = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, os.path.dirname(grader.__file__),
                                           os.path.dirname(os.path.realpath(sys.executable)))}
    return sorted(p for p in paths if os.path.isdir(p))


def only_descriptors(sock_fd: int, output_fd: int) -> int:
    """stdin from /dev/null, stdout and stderr to the worker's own output pipe, the channel; no
    other descriptor (of the zygote, of another worker) survives. Returns the channel's number."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    keep = 3
    if sock_fd != keep:
        os.dup2(sock_fd, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 65536)
    return keep


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int) -> None:
    """What setpriv --reuid --regid --clear-groups --inh-caps=-all --bounding-set=-all does."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        _prctl(f"prctl(PR_CAPBSET_DROP, {cap})", PR_CAPBSET_DROP, cap)
    _prctl("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to a non-zero uid: permitted and effective caps go
    header, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")  # and the inheritable set
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid) or os.getgroups():
        raise ConfinementFailed("the uid did not change")
    status = Path("/proc/self/status").read_text().splitlines()
    caps = {line.split(":")[0]: int(line.split()[1], 16) for line in status if line.startswith("Cap")}
    if len(caps) < 5 or any(caps.values()):
        raise ConfinementFailed(f"capabilities left: {caps}")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_syscall_filter(bpf: bytes) -> None:
    """no_new_privs, then the same compiled filter bubblewrap loads for a cold worker."""
    if not bpf or len(bpf) % 8:
        raise ConfinementFailed("the syscall filter is empty or malformed")
    _prctl("prctl(PR_SET_NO_NEW_PRIVS)", PR_SET_NO_NEW_PRIVS, 1)
    program = ctypes.create_string_buffer(bpf, len(bpf))
    fprog = _SockFprog(len(bpf) // 8, ctypes.cast(program, ctypes.c_void_p))
    _prctl("seccomp filter", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(fprog)))
    if "Seccomp:\t2" not in Path("/proc/self/status").read_text():
        raise ConfinementFailed("the syscall filter is not in force")

"""The OS sandbox around the worker (Linux): bubblewrap, a syscall filter, cgroups, rlimits.

What the worker sees: a fresh root with read-only binds of /usr, the Python install, the virtual
environment and the `grader` package (nothing else of the checkout: no assignments, hidden tests
or reference solutions), /proc of its own PID namespace, a minimal /dev, sized tmpfs /tmp and
/dev/shm, and a sized tmpfs home. No network (its own network namespace), no environment
but what we set, and no user namespaces inside.

How it is started (as root; each step's why is next to it in `command`):
    sh (joins the cgroups) -> setpriv (drops to an unprivileged uid) -> bwrap -> python worker
Without root, bwrap still builds the namespaces (unprivileged user namespaces), and memory is
bounded by RLIMIT_DATA instead of a cgroup; `describe()` says which applies.

Fail closed: on Linux, when the sandbox cannot be set up, grading refuses to run student code
(SandboxUnavailable) unless the caller knowingly passes `--no-sandbox`.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import itertools
import os
import platform
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grader
from grader.assignment import Limits
from grader.run import cleanup

CGROUP_ROOT = Path("/sys/fs/cgroup")
# uids handed to sandboxes when started as root: far from real users, one per sandbox so that
# no two sandboxes share a per-user count or own each other's files. A uid is held by an
# exclusive lock on its file under UID_LOCKS for as long as its sandbox lives: every grader on the
# machine (other processes, other PID namespaces) takes uids from the same files, and the kernel
# releases a lock when its holder dies, however it dies.
UID_BASE, UID_SPAN = 61000, 4000
UID_LOCKS = Path("/run/torch-grader/uids")
# Every sandbox gets the same CPU share (cgroup v1 cpu.shares, v2 cpu.weight; both are the
# kernel's defaults): CPU time is divided between sandboxes, not between their processes, so a
# submission that starts many busy processes cannot starve the others graded beside it.
CPU_SHARES, CPU_WEIGHT = 1024, 100
_cgroup_ids = itertools.count()


class SandboxUnavailable(Exception):
    """Student code cannot be confined here: one sentence, and the flag to run without."""


_MANIFEST = Limits()


@dataclass(frozen=True)
class SandboxLimits:
    """The sandbox's share of an assignment's limits (defaults: `Limits` in the manifest)."""

    # Why each limit and its default: see `Limits` in grader/assignment.py (one source of values).
    memory_mb: int = _MANIFEST.memory_mb      # whole sandbox (cgroup), or per process (RLIMIT_DATA)
    processes: int = _MANIFEST.processes      # processes and threads of the whole sandbox
    file_mb: int = _MANIFEST.file_mb          # largest file written (RLIMIT_FSIZE)
    tmpfs_mb: int = _MANIFEST.tmpfs_mb        # each of home, /tmp, /dev/shm
    open_files: int = _MANIFEST.open_files    # RLIMIT_NOFILE
    cpu_seconds: int = _MANIFEST.cpu_seconds  # RLIMIT_CPU per process, a backstop to wall clocks

    @classmethod
    def from_limits(cls, limits: Limits, **overrides: Any) -> SandboxLimits:
        fields = {name: getattr(limits, name) for name in cls.__dataclass_fields__}
        unknown = set(overrides) - set(fields)
        if unknown:
            raise ValueError(f"unknown sandbox limits {sorted(unknown)}; use: {', '.join(fields)}")
        return cls(**{**fields, **overrides})


def linux() -> bool:
    return platform.system() == "Linux"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.cache
def cgroups_writable() -> bool:
    """Whether each sandbox can get memory and pids cgroups (v1 or v2): tried once, not guessed."""
    if not (linux() and is_root()):
        return False
    try:
        _Cgroup.create(f"probe-{os.getpid()}-{secrets.token_hex(4)}", SandboxLimits()).remove()
    except OSError:
        return False
    return True


def worker_rlimits(limits: SandboxLimits, sandboxed: bool) -> dict[str, int | None]:
    """Per-process limits the worker sets on itself before any student code runs."""
    cgroups = sandboxed and cgroups_writable()
    return {
        "fsize": limits.file_mb << 20,
        "nofile": limits.open_files,
        "cpu": limits.cpu_seconds,
        # Without a memory cgroup, real memory is bounded per process by its data segment.
        "data": None if cgroups else limits.memory_mb << 20,
        # Without a pids cgroup, a sandbox started as root still has a uid of its own, so the
        # per-user process count is a per-sandbox count (never set for a shared uid).
        "nproc": limits.processes if sandboxed and is_root() and not cgroups else None,
    }


def _syscall_filter(path: Path) -> Path:
    """A seccomp filter in the spirit of Flatpak's, compiled to BPF for bwrap's --seccomp.

    Default allow; deny (EPERM) what a grading worker never needs and what opens the kernel's
    attack surface: namespaces and mounts, keyrings, tracing, BPF, io_uring (it bypasses
    seccomp), kernel modules, clocks; sockets other than AF_UNIX (DataLoader workers use it).
    """
    import pyseccomp as sc

    flt = sc.SyscallFilter(sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in (
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
        "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
        "keyctl", "add_key", "request_key",
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "perf_event_open", "bpf", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "syslog", "acct", "swapon", "swapoff", "reboot", "iopl", "ioperm", "quotactl",
        "name_to_handle_at", "open_by_handle_at", "lookup_dcookie", "uselib", "vhangup",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    ):
        try:
            flt.add_rule(deny, name)
        except (OSError, RuntimeError, ValueError):
            pass  # a syscall this kernel or libseccomp does not know cannot be called either
    # New user namespaces through clone's flags (bwrap's --disable-userns covers unshare too).
    flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, 0x10000000, 0x10000000))  # CLONE_NEWUSER
    # clone3 passes flags in memory seccomp cannot read: say "not implemented", libc falls back.
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socketpair", sc.Arg(0, sc.NE, socket.AF_UNIX))
    with open(path, "wb") as out:
        flt.export_bpf(out)
    return path


# Every cgroup folder this process made and has not yet removed, recorded before it is made: a
# signal that lands mid-creation, or a removal that failed (a task slow to die on a loaded
# machine), leaves it here, and the sweep at exit or on a signal removes it.
_made: set[Path] = set()


def _sweep_cgroups(wait_s: float = 5.0) -> None:
    """Kill whatever is left in the cgroups this process made and remove them (deepest first)."""
    leftovers = sorted(_made, key=lambda p: len(p.parts), reverse=True)
    if leftovers:
        _Cgroup(leftovers).remove(wait_s)


def _mkdir(path: Path) -> None:
    _made.add(path)
    cleanup.register_last(_sweep_cgroups)
    path.mkdir(parents=True, exist_ok=True)


# How long kill_all waits before looking again whether a sandbox's tasks are gone: doubling from
# the first pause up to the last.
_FIRST_PAUSE = 0.001
_LAST_PAUSE = 0.02


@dataclass
class _Cgroup:
    paths: list[Path]
    version: int = 1

    @classmethod
    def create(cls, name: str, limits: SandboxLimits) -> _Cgroup:
        if (CGROUP_ROOT / "cgroup.controllers").exists() and not (CGROUP_ROOT / "memory").is_dir():
            return cls._create_v2(name, limits)
        memory = CGROUP_ROOT / "memory" / "grader" / name
        pids = CGROUP_ROOT / "pids" / "grader" / name
        for path in (memory, pids):
            _mkdir(path)
        limit = str(limits.memory_mb * 1024 * 1024)
        (memory / "memory.limit_in_bytes").write_text(limit)
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():  # without it, a sandbox could page out instead of being limited
            swap.write_text(limit)
        (pids / "pids.max").write_text(str(limits.processes))
        paths = [memory, pids]
        cpu = CGROUP_ROOT / "cpu"
        if (cpu / "cpu.shares").exists():  # a fair share, not a wall: absent, the sandbox still holds
            _mkdir(cpu / "grader" / name)
            (cpu / "grader" / name / "cpu.shares").write_text(str(CPU_SHARES))
            paths.append(cpu / "grader" / name)
        return cls(paths)

    @classmethod
    def _create_v2(cls, name: str, limits: SandboxLimits) -> _Cgroup:
        """The unified hierarchy: one cgroup with both controllers, enabled from the root down."""
        base = CGROUP_ROOT / "grader"
        base.mkdir(exist_ok=True)
        fair = "cpu" in (CGROUP_ROOT / "cgroup.controllers").read_text().split()
        for parent in (CGROUP_ROOT, base):
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            missing = [c for c in ("memory", "pids", *(("cpu",) if fair else ())) if c not in enabled]
            if missing:
                (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
        path = base / name
        _mkdir(path)
        (path / "memory.max").write_text(str(limits.memory_mb << 20))
        if (path / "memory.swap.max").exists():
            (path / "memory.swap.max").write_text("0")
        (path / "pids.max").write_text(str(limits.processes))
        if (path / "cpu.weight").exists():
            (path / "cpu.weight").write_text(str(CPU_WEIGHT))
        return cls([path], version=2)

    def oom_killed(self) -> bool:
        if self.version == 2:
            try:
                events = (self.paths[0] / "memory.events").read_text().split()
                return int(events[events.index("oom_kill") + 1]) > 0
            except (OSError, ValueError, IndexError):
                return False
        control = self.paths[0] / "memory.oom_control"
        failcnt = self.paths[0] / "memory.failcnt"
        try:
            text = control.read_text()
            killed = any(line.startswith("oom_kill ") and line.split()[1] != "0" for line in text.splitlines())
            return killed or int(failcnt.read_text().strip() or 0) > 0
        except OSError:
            return False

    def kill_all(self, wait_s: float = 15.0) -> None:
        """SIGKILL every task in the sandbox, however it was forked or detached."""
        kill = self.paths[0] / "cgroup.kill"
        if self.version == 2 and kill.exists():
            try:
                kill.write_text("1")
            except OSError:
                pass
        # Time-based, not a count of tries: on a loaded machine a large process takes a while to go.
        # Looked at again soon, then less often: most workers are gone within a few milliseconds,
        # and every grading waits here once.
        give_up = time.monotonic() + wait_s
        pause = _FIRST_PAUSE
        while time.monotonic() < give_up:
            pids = set()
            for path in self.paths:
                try:
                    pids |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
                except OSError:
                    pass
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(pause)
            pause = min(2 * pause, _LAST_PAUSE)

    def remove(self, wait_s: float = 15.0) -> None:
        """Kill its tasks and remove its folders. One that will not go stays recorded in `_made`
        and is tried again by the sweep at exit."""
        self.kill_all(wait_s)
        give_up = time.monotonic() + wait_s
        for path in self.paths:
            while True:
                try:
                    path.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    if time.monotonic() > give_up:
                        break
                    time.sleep(0.02)
                    continue
                _made.discard(path)
                break


def _uid_lock_dir() -> Path:
    try:
        UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
        return UID_LOCKS
    except OSError:  # no /run (or not writable): the machine's temporary folder, still shared
        fallback = Path(tempfile.gettempdir()) / "torch-grader-uids"
        fallback.mkdir(mode=0o700, exist_ok=True)
        return fallback


def allocate_uid() -> tuple[int, int]:
    """A sandbox uid no other live sandbox on this machine holds, and the descriptor holding it
    (close it to give the uid back). Starts at a random place: holders are rarely contended."""
    folder = _uid_lock_dir()
    start = secrets.randbelow(UID_SPAN)
    for step in range(UID_SPAN):
        uid = UID_BASE + (start + step) % UID_SPAN
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise SandboxUnavailable(f"all {UID_SPAN} sandbox uids are in use on this machine; grade fewer submissions at once.")


def bwrap_argv(limits: SandboxLimits, env: dict[str, str]) -> list[str]:
    """bubblewrap's part of the confinement, shared by cold workers and the zygote
    (`grader.run.zygote`, which forks workers that rebuild the per-worker parts themselves)."""
    home = "/home/student"
    python = Path(sys.executable)
    binds: list[str] = []
    dirs: list[str] = []
    seen: set[str] = set()
    for path in (Path(sys.base_prefix), Path(sys.prefix), Path(grader.__file__).resolve().parent,
                 python.parent, python.resolve().parent.parent):
        text = str(path)
        if text in seen or not path.exists() or text.startswith("/usr"):
            continue
        seen.add(text)
        # Parents bwrap would create unreadable (0700): Python must list them to import.
        for parent in reversed(path.parents[:-1]):
            if str(parent) not in dirs:
                dirs.append(str(parent))
        binds += ["--ro-bind", text, text]
    binds = [arg for d in dirs for arg in ("--perms", "0755", "--dir", d)] + binds
    bwrap = [
        "bwrap",
        # New pid (everything dies with its init), net (no network), ipc, uts, cgroup namespaces.
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent",      # the grader dies: the sandbox dies
        "--new-session",          # no TIOCSTI into the grader's terminal
        "--clearenv",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--ro-bind-try", "/etc/ld.so.conf", "/etc/ld.so.conf",
        "--ro-bind-try", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d",
        "--proc", "/proc",
        "--dev", "/dev",
        "--perms", "1777", "--size", str(limits.tmpfs_mb << 20), "--tmpfs", "/tmp",
        "--perms", "1777", "--size", str(limits.tmpfs_mb << 20), "--tmpfs", "/dev/shm",
        # Home too is a sized tmpfs: a per-file limit alone lets many files fill the disk.
        "--perms", "1777", "--size", str(limits.tmpfs_mb << 20), "--tmpfs", home,
        # Binds last: mounts apply in order, and a tmpfs must not hide Python (e.g. under /tmp).
        *binds,
        "--chdir", home,
        "--hostname", "sandbox",
    ]
    for key, value in {**env, "HOME": home, "TMPDIR": "/tmp"}.items():
        bwrap += ["--setenv", key, value]
    return bwrap


class Sandbox:
    """One sandboxed worker's confinement: build its command line, then clean up after it."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self.cgroup: _Cgroup | None = None
        self.uid: int | None = None
        self._uid_lock: int | None = None
        self._filter_dir = Path(tempfile.mkdtemp(prefix="grader-seccomp-"))
        self._cleanup = cleanup.register(self.close)
        self.filter = _syscall_filter(self._filter_dir / "filter.bpf")

    def command(self, worker_argv: list[str], env: dict[str, str], keep_fd: int) -> tuple[list[str], list[int]]:
        """The full command line and the descriptors it must inherit."""
        seccomp_fd = os.open(self.filter, os.O_RDONLY)
        privileged = is_root()
        bwrap = [*bwrap_argv(self.limits, env), "--seccomp", str(seccomp_fd)]
        if not privileged:
            # Unprivileged: bwrap builds a user namespace; none may be nested inside it.
            bwrap[1:1] = ["--unshare-user", "--disable-userns", "--uid", "1000", "--gid", "1000"]
            return [*bwrap, "--", *worker_argv], [keep_fd, seccomp_fd]
        self.allocate()
        join: list[str] = []
        if self.cgroup is not None:
            joins = " && ".join(f'echo $$ > "{p}/cgroup.procs"' for p in self.cgroup.paths)
            # Join the cgroups before anything forks: every later process is counted and killed.
            join = ["/bin/sh", "-c", f'{joins} && exec "$@"', "sandbox"]
        return [
            *join,
            # As root, bwrap mounts without a user namespace and keeps only the right to change
            # uid; the syscall filter refuses new user namespaces inside.
            *bwrap, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
            # Inside, drop to an unprivileged uid of the sandbox's own, with no groups and no
            # capabilities left, before any Python runs.
            "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all",
            *worker_argv,
        ], [keep_fd, seccomp_fd]

    def allocate(self) -> None:
        """As root: an unprivileged uid and cgroups of this sandbox's own, unique on the machine."""
        self.uid, self._uid_lock = allocate_uid()
        if cgroups_writable():
            # pid, then a counter, then chance: unique among this process's sandboxes and every
            # other grader's, even one whose pid is the same in another PID namespace.
            name = f"{os.getpid()}-{next(_cgroup_ids)}-{secrets.token_hex(4)}"
            self.cgroup = _Cgroup.create(name, self.limits)

    def oom_killed(self) -> bool:
        return bool(self.cgroup and self.cgroup.oom_killed())

    def kill_all(self) -> None:
        if self.cgroup:
            self.cgroup.kill_all()

    def close(self) -> None:
        if self.cgroup:
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self._filter_dir, ignore_errors=True)
        if self._uid_lock is not None:  # after the cgroup is empty: no process of this uid is left
            os.close(self._uid_lock)
            self._uid_lock = None
        cleanup.unregister(self._cleanup)


@dataclass(frozen=True)
class SandboxPolicy:
    """What grading does about confinement: `enabled=False` only when asked for knowingly."""

    enabled: bool = True

    def check(self) -> None:
        """Raise SandboxUnavailable when confinement is required but cannot be had here."""
        if not self.enabled or not linux():
            return
        if shutil.which("bwrap") is None:
            raise SandboxUnavailable(
                "The sandbox for student code (bubblewrap) is not installed; install it "
                "(Debian/Ubuntu: apt-get install bubblewrap) or pass --no-sandbox to knowingly run without it."
            )
        try:
            import pyseccomp  # noqa: F401
        except OSError as exc:
            raise SandboxUnavailable(
                f"The syscall filter cannot load libseccomp ({exc}); install libseccomp2 "
                "or pass --no-sandbox to knowingly run without it."
            ) from None

    def describe(self, limits: SandboxLimits = SandboxLimits()) -> str:
        if not self.enabled:
            return "none: student code ran in a separate process without an OS sandbox (--no-sandbox)"
        if not linux():
            return f"none: no OS sandbox on {platform.system()}; student code ran in a separate process"
        if cgroups_writable():
            memory = "memory and process count by cgroup"
        elif is_root():
            memory = "memory by RLIMIT_DATA, process count by RLIMIT_NPROC of its own uid"
        else:
            memory = "memory by RLIMIT_DATA, process count not limited"
        uid = ", own unprivileged uid" if is_root() else ""
        return (f"bubblewrap (no network, read-only minimal filesystem, PID namespace{uid}), seccomp filter, "
                f"{memory} ({limits.memory_mb} MB, {limits.processes} processes)")

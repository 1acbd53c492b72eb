"""What tests hold of student code: proxies whose every use is a request to the worker.

`student.create_linear_dataset(50)` calls the function in the worker and brings the tensors back
by value. `net = student.LinearNet(1, 1)` brings back a Handle: `net(x)`, `net.hidden.weight`,
`list(net.parameters())` each run in the worker, and plain results come back by value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.run.client import StudentRuntime


class Handle:
    """A student object that stays in the worker."""

    __slots__ = ("_h_runtime", "_h_generation", "_h_id", "_h_type", "_h_callable", "_h_label")

    def __init__(self, runtime: StudentRuntime, generation: int, ident: int, type_name: str,
                 is_callable: bool, label: str | None = None) -> None:
        object.__setattr__(self, "_h_runtime", runtime)
        object.__setattr__(self, "_h_generation", generation)
        object.__setattr__(self, "_h_id", ident)
        object.__setattr__(self, "_h_type", type_name)
        object.__setattr__(self, "_h_callable", is_callable)
        object.__setattr__(self, "_h_label", label or type_name.rsplit(".", 1)[-1])

    def _h_origin(self) -> tuple[StudentRuntime, int, int]:
        return self._h_runtime, self._h_generation, self._h_id

    @property
    def type_name(self) -> str:
        """The class of the object in the worker, e.g. 'student.MLPNet'."""
        return self._h_type

    def _named(self, value: Any, label: str) -> Any:
        if isinstance(value, Handle):
            object.__setattr__(value, "_h_label", label)
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        label = f"{self._h_label}.{name}"
        value = self._h_runtime.request("getattr", what=label, target=self, name=name)
        return self._named(value, label)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("student objects are read-only from the tests")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value = self._h_runtime.request("call", what=self._h_label, target=self, args=args, kwargs=kwargs)
        return self._named(value, f"{self._h_label}(...)")

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._h_runtime.request("iter", what=f"iterating {self._h_label}", target=self))

    def __len__(self) -> int:
        from grader.run.errors import StudentError

        try:
            return int(self._h_runtime.request("len", what=f"len({self._h_label})", target=self))
        except StudentError as exc:
            if exc.exc_type == "TypeError":  # no len(): list() and friends fall back to iterating
                raise TypeError(exc.message) from None
            raise

    def __getitem__(self, key: Any) -> Any:
        return self._h_runtime.request("getitem", what=f"{self._h_label}[...]", target=self, key=key)

    def __repr__(self) -> str:
        return f"<student {self._h_type} #{self._h_id}>"


class _Helpers:
    """`student.helpers.fit_mse(net, x, y, steps=..., lr=...)`: grader code run in the worker."""

    def __init__(self, runtime: StudentRuntime) -> None:
        self._runtime = runtime

    def __getattr__(self, name: str) -> Any:
        from grader.run import inworker

        if name not in inworker.__all__:
            raise AttributeError(f"no grader helper {name!r}; available: {', '.join(inworker.__all__)}")

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runtime.request("helper", what=f"grader helper {name}", name=name, args=args, kwargs=kwargs)

        return call


class StudentModule:
    """The student's submission, as seen by a test."""

    def __init__(self, runtime: StudentRuntime) -> None:
        self._runtime = runtime
        self.helpers = _Helpers(runtime)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._runtime.request("global", what=name, name=name)
        if isinstance(value, Handle):
            object.__setattr__(value, "_h_label", name)
        return value

    def defines(self, name: str) -> bool:
        return name in self._runtime.request("names", what="listing names")

    def seed(self, seed: int) -> None:
        self._runtime.request("seed", what="seeding", seed=int(seed))

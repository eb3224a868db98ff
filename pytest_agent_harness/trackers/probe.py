"""The probe the observer puts in place of a test function while it runs: it notes that the
function was called and what it raised. The standard library only."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CodeType
from typing import Any


class Seen:
    """What the observer saw of one test so far."""

    __slots__ = (
        "called", "clean", "function", "in_call", "message", "observed", "probe", "probed",
        "raised", "reasons", "replaced",
    )  # fmt: skip

    def __init__(self) -> None:
        self.observed: dict[str, tuple[str, str]] = {}  # phase -> (observed, reported)
        self.clean = True  # every phase so far passed, as observed and as reported
        self.function: Any = None  # the test function as collected
        self.probe: Any = None  # the wrapper in its place while the test runs
        self.probed = False  # the test function was expected to be called
        self.replaced = False  # ... but something else was in its place
        self.called = False
        self.in_call = False
        self.raised: BaseException | None = None
        self.reasons: list[str] = []
        self.message = ""


def probe(function: Any, test: Seen) -> Callable[..., Any] | None:
    """``function`` wrapped to note that it was called and what it raised (None: leave it)."""
    if not callable(function):
        return None
    flags = _code_flags(function)
    if flags & inspect.CO_ASYNC_GENERATOR:
        return None
    if flags & inspect.CO_COROUTINE:

        async def probe_async(*args: Any, **kwargs: Any) -> Any:
            test.called = test.in_call = True
            try:
                return await function(*args, **kwargs)
            except BaseException as exc:
                test.raised = exc
                raise
            finally:
                test.in_call = False

        return _like(probe_async, function)

    def probe(*args: Any, **kwargs: Any) -> Any:
        test.called = test.in_call = True
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            test.raised = exc
            raise
        finally:
            test.in_call = False

    return _like(probe, function)


def _code_flags(function: Any) -> int:
    """The coroutine and async-generator flags of ``function``: read from its code object when
    it has one (a function or method: many times cheaper than ``inspect``), else asked of
    ``inspect`` (a partial, a callable object, a function marked as a coroutine)."""
    code = getattr(function, "__code__", None)
    if isinstance(code, CodeType) and "_is_coroutine_marker" not in namespace(function):
        return code.co_flags
    coroutine = inspect.CO_COROUTINE if inspect.iscoroutinefunction(function) else 0
    return coroutine | (inspect.CO_ASYNC_GENERATOR if inspect.isasyncgenfunction(function) else 0)


def namespace(function: Any) -> dict[str, Any]:
    """The attributes of ``function`` (a bound method's are its function's)."""
    namespace = getattr(getattr(function, "__func__", function), "__dict__", None)
    return namespace if isinstance(namespace, dict) else {}


def _like(probe: Callable[..., Any], function: Any) -> Callable[..., Any]:
    """``functools.wraps``, cheaper: the name, the marks and the signature (``__wrapped__``)."""
    probe.__name__ = getattr(function, "__name__", "probe")
    probe.__qualname__ = getattr(function, "__qualname__", probe.__name__)
    probe.__dict__.update(namespace(function))
    probe.__wrapped__ = function  # type: ignore[attr-defined]
    return probe

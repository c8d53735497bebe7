"""The root of Samantha's own errors, and the one place that turns an exception into words for the user.

Every error Samantha raises on purpose (a file that does not load, a bad setting, a hub link that
is gated, a runner that is missing...) is a `SamanthaError`, whose message is written for the user:
what went wrong and what to do. Exceptions from libraries (llama.cpp, httpx, huggingface_hub,
sqlite3, the OS) are translated into one at the boundary where they are caught (see
docs/architecture.md). Anything else that reaches the page or the command line is a bug, and
`user_message` says so instead of passing it off as the user's mistake.
"""

from __future__ import annotations

from typing import Any


def _rebuilt(cls: type[SamanthaError], message: str, attributes: dict[str, Any]) -> SamanthaError:
    """An error as it was pickled: same type, same message, same attributes, without calling its __init__."""
    error = cls.__new__(cls, message)
    error.args = (message,)
    error.__dict__.update(attributes)
    return error


class SamanthaError(Exception):
    """An error Samantha raises on purpose; `str(error)` is meant for the user.

    It survives pickling whatever its subclass's __init__ takes, so an error raised in a worker process
    arrives in the app as the same type with the same message.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuilt, (type(self), str(self), dict(self.__dict__))


def user_message(error: BaseException) -> str:
    """What the page or the command line says about an exception: a Samantha error's own words; for
    anything else, that it is a bug, with its type (the traceback goes to the log or the terminal)."""
    if isinstance(error, SamanthaError):
        return str(error) or type(error).__name__
    said = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"unexpected error (a bug in Samantha; please report it with the terminal's traceback): {said}"

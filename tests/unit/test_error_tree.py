"""One root for Samantha's own errors, which survive the trip from the worker process unchanged."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import pytest

import samantha
from samantha.backends.base import BackendError, BadGrammar, GrammarCrashed, PromptTooLong, WorkerDied
from samantha.errors import SamanthaError, user_message
from samantha.hub.errors import HubError
from samantha.runner.errors import UnknownProcess

# Exceptions that never reach the user: control flow inside one module, or a bug reported as one.
NOT_USER_ERRORS = {
    "samantha.hub.transfer._Restart",
    "samantha.voice.tts_worker.WorkerFailure",
    "samantha.backends.llama_process.WorkerBugError",
}


def _samantha_exceptions() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.walk_packages(samantha.__path__, "samantha."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module_info.name:
                found.append(value)
    return found


def test_every_exception_samantha_defines_is_a_samantha_error() -> None:
    exceptions = _samantha_exceptions()
    assert len(exceptions) > 30  # the walk found the package's modules
    strays = [f"{e.__module__}.{e.__qualname__}" for e in exceptions
              if not issubclass(e, SamanthaError) and f"{e.__module__}.{e.__qualname__}" not in NOT_USER_ERRORS]
    assert strays == []


def test_the_specific_errors_keep_the_builtin_bases_callers_catch() -> None:
    from samantha.history.db import HistoryError
    from samantha.runner.errors import RunnerError
    from samantha.settings import SettingsError

    assert issubclass(BackendError, RuntimeError) and issubclass(RunnerError, RuntimeError)
    assert issubclass(SettingsError, ValueError) and issubclass(HistoryError, ValueError)


@pytest.mark.parametrize("error", [
    PromptTooLong(900, 512),
    BadGrammar("expecting name at 3"),
    GrammarCrashed("the llama.cpp worker process died while reading the grammar"),
    WorkerDied("the worker died", partial="the answer so far"),
    HubError("the link is gated", kind="gated"),
    UnknownProcess("no process 7"),
], ids=lambda error: type(error).__name__)
def test_a_samantha_error_pickles_as_its_own_type_with_its_message_and_attributes(error: SamanthaError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error) and again.args == error.args
    assert vars(again) == vars(error)


def test_the_user_reads_a_samantha_errors_own_words_and_a_bug_is_called_one() -> None:
    assert user_message(PromptTooLong(900, 512)) == str(PromptTooLong(900, 512))
    said = user_message(KeyError("n_ctx"))
    assert said.startswith("unexpected error (a bug in Samantha") and "KeyError: 'n_ctx'" in said

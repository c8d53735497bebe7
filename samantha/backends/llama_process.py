"""The llama.cpp backend, app side: drives a worker process that holds the model.

One worker holds one model. Unloading ends the worker, so its memory goes back to
the system at once; a crash in llama.cpp (or a kill) ends only the worker and
becomes an error that says what is known: the signal, what the worker was doing,
with which grammar, and llama.cpp's last log lines.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from samantha.backends.base import (
    BackendError,
    Cancelled,
    Control,
    Generated,
    GenerationRequest,
    GrammarCrashed,
    LoadOptions,
    ModelInfo,
    Piece,
    WorkerDied,
)
from samantha.backends.kv_states import SavedState, StateStore
from samantha.backends.llama_worker import GRAMMAR_PHASE, worker_main
from samantha.backends.repack_memory import RepackMemory
from samantha.backends.worker_messages import (
    CountTokens,
    Failed,
    Finished,
    Generate,
    LlamaFailed,
    Loaded,
    LoadModel,
    NextToken,
    Phase,
    Quit,
    Reply,
    Request,
    Restored,
    RestoreState,
    SaveState,
    StateSaved,
    TokenCount,
    TokenIds,
    Tokenize,
    TokenPiece,
    WorkerBug,
)
from samantha.formats import TemplateInfo
from samantha.learning import TokenChoice

POLL_SECONDS = 0.05
ANSWERING = "answering with"
# After asking the worker to stop, how long to wait before ending it outright.
STOP_GRACE_SECONDS = 0.6
START_TIMEOUT_SECONDS = 120.0

REPACK_NOTICE = ("llama.cpp crashed with weight repacking on, so {name} was loaded again with it off "
                 "(a little slower); Samantha remembers this for this file (in repack-off.json in the data folder: "
                 "delete it to try repacking again)")
LOG_FILE_NAME = "llama.log"
LOG_LINES_SHOWN = 8

_R = TypeVar("_R")

_SIGNAL_NAMES = {-11: "segmentation fault", -6: "abort", -9: "killed", -4: "illegal instruction", -7: "bus error"}
# How a fault inside llama.cpp ends the worker: a fatal signal (Linux, macOS), or on Windows an exception code
# (access violation, illegal instruction, stack overflow, fail-fast) or abort()'s exit code 3. Only these
# are a reason to load a file again without weight repacking and to remember it: a kill from outside
# (SIGKILL, the system out of memory, the user's task manager) or a Python error says nothing about repacking.
_CRASH_SIGNALS = frozenset(-getattr(signal, name) for name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE")
                           if hasattr(signal, name))
_WINDOWS_CRASH_CODES = frozenset({0xC0000005, 0xC000001D, 0xC00000FD, 0xC0000409, 3})


def _llama_crashed(code: int | None) -> bool:
    """Whether the worker's exit code says llama.cpp crashed (rather than being killed or failing in Python)."""
    return code is not None and (code in _CRASH_SIGNALS or (sys.platform == "win32" and code in _WINDOWS_CRASH_CODES))


class ModelCrashed(BackendError):
    """llama.cpp died while loading this model; the chain skips the model from now on."""

    fatal = True


class LoadFailed(BackendError):
    fatal = True


class WorkerBugError(RuntimeError):
    """The worker failed with an exception that is not a user error: a bug, reported with the worker's traceback.

    Not a SamanthaError on purpose, so it is not passed off as something the user did wrong."""


def llama_log_path() -> Path:
    """Where the workers write llama.cpp's own warnings and errors (named in the README)."""
    from samantha.history.db import data_dir

    return data_dir() / LOG_FILE_NAME


class LogTail:
    """What llama.cpp wrote to the log since a point in time: quoted when a load fails or a worker dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = self._size()

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def mark(self) -> None:
        self.start = self._size()

    def lines(self) -> list[str]:
        """The new lines (the last few), or none when the log cannot be read."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.start if self._size() >= self.start else 0)
                text = handle.read(64_000).decode("utf-8", errors="replace")
        except OSError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()][-LOG_LINES_SHOWN:]

    def quoted(self) -> str:
        lines = self.lines()
        return f" llama.cpp said: {' | '.join(lines)} (log: {self.path})" if lines else ""


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = _SIGNAL_NAMES.get(code)
        return f"signal {-code}" + (f", {name}" if name else "")
    return f"exit code {code}"


def grammar_summary(grammar: str) -> str:
    """A grammar described in a few words (size, deepest nesting), so a crash message can say which one."""
    depth = deepest = 0
    quote: str | None = None
    escaped = False
    for char in grammar:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"[":
            quote = "]" if char == "[" else char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    first = next((line.strip() for line in grammar.splitlines() if line.strip()), "")
    first = first if len(first) <= 60 else first[:60] + "\u2026"
    return f"{len(grammar):,} characters, nested {deepest:,} level(s) deep, starting {first!r}"


def _load_failure(path: Path, reason: str, n_ctx: int) -> str:
    """Why a file did not load, with what to do: the header reader names damage llama.cpp only hints at."""
    from samantha.gguf_info import GGUFError, read_header

    if "llama_context" in reason:  # the weights loaded; the context (KV cache) for n_ctx did not fit
        return (f"llama.cpp loaded {path.name} but could not make a context of n_ctx {n_ctx} tokens, most likely "
                "for lack of memory: lower n_ctx (0 uses the model's own length)")
    try:
        read_header(path, wanted_arrays=frozenset())
    except GGUFError as exc:
        return f"llama.cpp could not load {path.name}: {exc}"
    return (f"llama.cpp could not load {path.name}: {reason}. The file may be damaged, or made for a newer "
            "llama.cpp: download it again, or update Samantha's llama-cpp-python")


class LlamaProcessBackend:
    """Runs GGUF files with llama-cpp-python in a worker process (see llama_worker)."""

    def __init__(
        self,
        states: StateStore | None = None,
        repack_memory: RepackMemory | None = None,
        worker: Callable[[Connection, Any, str | None], None] = worker_main,
    ) -> None:
        """`states` keeps what each model had read while another one is loaded (None: a quarter of free
        memory); `repack_memory` lists the files that crashed with weight repacking (None: the data folder's);
        `worker` is the worker process's entry point (tests give one that crashes on purpose)."""
        self._context = multiprocessing.get_context("spawn")
        self._states = states if states is not None else StateStore()
        self._repack_memory = repack_memory if repack_memory is not None else RepackMemory()
        self._worker = worker
        # Repacking is proven for the loaded file once an answer has been read with it.
        self._repack_unproven = False
        self._notices: list[str] = []
        self._effective = LoadOptions()  # what the loaded model was loaded with (repacking may be off)
        self._process: Any = None
        self._conn: Connection | None = None
        self._stop_flag: Any = None
        self._loaded: tuple[str, LoadOptions, tuple[int, int] | None] | None = None
        self._info: ModelInfo | None = None
        self._log = LogTail(llama_log_path())
        self._grammar: str | None = None  # the grammar of the answer in progress, named if the worker dies
        self._exit_code: int | None = None  # how the last worker that died ended

    # -- worker lifetime -------------------------------------------------
    def _start_worker(self) -> None:
        parent_end, child_end = self._context.Pipe()
        self._stop_flag = self._context.RawValue(ctypes.c_int, 0)
        process = self._context.Process(target=self._worker, args=(child_end, self._stop_flag, str(self._log.path)),
                                        daemon=True)
        process.start()
        child_end.close()
        self._process, self._conn = process, parent_end

    def _end_worker(self, force: bool = False) -> None:
        """End the worker: politely (it frees its model and exits), or at once when it is stuck."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._loaded = self._info = None
        if conn is not None:
            if not force:
                try:
                    conn.send(Quit())
                except (OSError, ValueError):
                    pass
            conn.close()
        if process is not None:
            if not force:
                process.join(timeout=0.5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)

    @property
    def worker_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _receive(self, control: Control | None, what: str, path: str) -> Reply:
        """Wait for the worker's next message, honouring Stop and noticing a crash; a failure is raised."""
        assert self._conn is not None and self._process is not None
        stop_sent_at: float | None = None
        while True:
            if control is not None and control.answer_should_stop() and stop_sent_at is None:
                self._stop_flag.value = 1
                stop_sent_at = time.monotonic()
            if stop_sent_at is not None and time.monotonic() - stop_sent_at > STOP_GRACE_SECONDS:
                self._end_worker(force=True)
                raise Cancelled(f"stopped while {what}")
            try:
                if self._conn.poll(POLL_SECONDS):
                    return _raised(self._conn.recv())
            except (EOFError, OSError):
                pass
            else:
                if self._process.is_alive():
                    continue
            self._process.join(timeout=2)  # let the exit status arrive so the message can name it
            code = self._process.exitcode
            self._end_worker()
            raise self._death(code, what, path)

    def _ask(self, request: Request, reply_type: type[_R], what: str, path: str, control: Control | None = None) -> _R:
        """Send one request and wait for its one reply (of `reply_type`); the worker's failure is raised."""
        assert self._conn is not None
        self._stop_flag.value = 0
        self._conn.send(request)
        reply = self._receive(control, what, path)
        if not isinstance(reply, reply_type):
            raise WorkerBugError(f"the llama.cpp worker answered {request!r} with {reply!r}")
        return reply

    def _death(self, code: int | None, what: str, path: str) -> BackendError:
        """What is known about a worker that died: its signal, what it was doing, with which grammar.

        Only a crash while loading suggests the file; a kill from outside (SIGKILL, also what the
        system sends when memory runs out) or a crash while answering is not blamed on it.
        """
        self._exit_code = code
        name = Path(path).name
        said = self._log.quoted()
        head = f"the llama.cpp worker process died ({_exit_text(code)})"
        if what == GRAMMAR_PHASE:
            grammar = f" ({grammar_summary(self._grammar)})" if self._grammar else ""
            return GrammarCrashed(
                f"{head} while reading the grammar{grammar}: llama.cpp cannot handle this grammar, with any model, "
                f"so the chain ends here. Simplify the grammar (less nesting, fewer rules).{said}")
        killed = code == -9
        why = (" It was killed from outside: by another program, or by the system when memory ran out."
               if killed else "")
        if what == "loading":
            blame = "" if killed else " The file may be damaged or use a format this llama.cpp build does not support."
            return ModelCrashed(f"{head} while loading {name}.{why}{blame} The chain goes on with the next "
                                f"model.{said}")
        grammar = f", with the grammar ({grammar_summary(self._grammar)})" if self._grammar and what == ANSWERING \
            else ""
        return WorkerDied(f"{head} while {what} {name}{grammar}.{why} The answer so far is kept; the next step "
                          f"starts a new worker.{said}")

    # -- Backend protocol ------------------------------------------------
    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        # The file's identity counts too: MODEL_FOR_TESTING.gguf is replaced by each new download.
        key = (ref, options, _file_identity(ref))
        if self._loaded == key and self._process is not None and self._process.is_alive():
            assert self._info is not None
            return ModelInfo(**{**asdict(self._info), "template": self._info.template, "reused": True})
        path = Path(ref)
        if not path.is_file():
            raise LoadFailed(f"model file not found: {ref}; check the model folder and the file name")
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise LoadFailed(f"{path.name} is not a GGUF file (it does not start with 'GGUF'); download the .gguf file again")
        self._keep_state()
        self._end_worker()
        if control.answer_should_stop():
            raise Cancelled("stopped before loading")
        load_options = replace(options, repack=False) if options.repack and self._repack_memory.avoids(path) else options
        try:
            data = self._start_and_load(path, load_options, control)
        except ModelCrashed:
            if not load_options.repack or not _llama_crashed(self._exit_code):
                raise
            load_options = self._without_repack(path, load_options)
            data = self._start_and_load(path, load_options, control)
        self._repack_unproven, self._effective = load_options.repack, load_options
        info = ModelInfo(
            ref=ref,
            name=path.name,
            n_ctx=data.n_ctx,
            n_ctx_train=data.n_ctx_train,
            n_vocab=data.n_vocab,
            template=TemplateInfo(data.chat_template, data.bos_token, data.eos_token, data.architecture,
                                  data.chatml_tokens),
            load_seconds=data.load_seconds,
            n_threads=data.n_threads,
        )
        self._loaded, self._info = key, info
        self._restore_state(key)
        return info

    def _start_and_load(self, path: Path, options: LoadOptions, control: Control) -> Loaded:
        """A new worker with `path` loaded; what it says of the model."""
        self._start_worker()
        self._log.mark()
        try:
            return self._ask(LoadModel(str(path), options), Loaded, "loading", str(path), control)
        except Cancelled:
            self._end_worker()
            raise Cancelled("stopped while loading") from None
        except LlamaFailed as exc:
            self._end_worker()
            raise LoadFailed(_load_failure(path, exc.reason, options.n_ctx) + self._log.quoted()) from None
        except WorkerBugError:
            self._end_worker()
            raise

    def _without_repack(self, path: Path, options: LoadOptions) -> LoadOptions:
        """After a crash with repacking on: remember the file, say so once, and load it with repacking off."""
        self._repack_memory.remember(path)
        self._notices.append(REPACK_NOTICE.format(name=path.name))
        return replace(options, repack=False)

    def _keep_state(self) -> None:
        """Before the loaded model's worker ends, save what its context holds for when the chain comes back."""
        if self._loaded is None or self._conn is None or self._states.cap_bytes == 0:
            return
        try:
            reply = self._ask(SaveState(), StateSaved, "saving the context of", self._loaded[0])
        except BackendError:
            return  # a worker that cannot save its state is ended anyway; the model reads its prompt again
        if reply.tokens is not None:
            self._states.put(self._loaded, SavedState(reply.tokens, reply.data))

    def _restore_state(self, key: tuple[str, LoadOptions, tuple[int, int] | None]) -> None:
        saved = self._states.take(key)
        if saved is None or self._conn is None:
            return
        try:
            self._ask(RestoreState(tuple(saved.tokens), saved.data), Restored, "restoring the context of", key[0])
        except LlamaFailed:
            pass  # llama.cpp refused the state: the model reads its prompt again

    def tokenize(self, text: str, plain_spans: tuple[tuple[int, int], ...] = ()) -> list[int]:
        """The token ids the loaded model reads for `text`, with `plain_spans` as plain text (as in generate)."""
        if self._conn is None or self._loaded is None:
            raise BackendError("no model is loaded")
        try:
            return list(self._ask(Tokenize(text, plain_spans), TokenIds, "tokenizing for", self._loaded[0]).ids)
        except LlamaFailed as exc:
            raise BackendError(exc.reason) from None

    def count_tokens(self, text: str) -> int:
        if self._conn is None or self._loaded is None:
            raise BackendError("no model is loaded")
        try:
            return self._ask(CountTokens(text), TokenCount, "counting tokens for", self._loaded[0]).count
        except LlamaFailed as exc:
            raise BackendError(exc.reason) from None

    def generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        """The answer; a crash in the first answer with repacking on reloads without it and answers again."""
        key, info, options = self._loaded, self._info, self._effective
        first_with_repack, self._repack_unproven = self._repack_unproven, False
        pieces = 0
        try:
            for out in self._generate(request, control):
                pieces += isinstance(out, Piece)
                yield self._with_notices(out)
            return
        except (ModelCrashed, WorkerDied):  # a grammar that crashes llama.cpp is BadGrammar: not retried
            if not first_with_repack or pieces or key is None or not _llama_crashed(self._exit_code):
                raise
        path = Path(key[0])
        self._effective = self._without_repack(path, options)
        self._start_and_load(path, self._effective, control)
        self._loaded, self._info = key, info
        for out in self._generate(request, control):
            yield self._with_notices(out)

    def _with_notices(self, out: Piece | Generated) -> Piece | Generated:
        """The end of an answer carries what the backend has to tell the user (once)."""
        if isinstance(out, Generated) and self._notices:
            out = replace(out, notices=out.notices + tuple(self._notices))
            self._notices.clear()
        return out

    def _generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        if self._conn is None or self._loaded is None:
            raise BackendError("no model is loaded")
        path = self._loaded[0]
        payload = Generate(
            prompt=request.prompt,
            sampling=request.sampling.to_dict(),
            seed=request.seed,
            grammar=request.grammar,
            reset=request.reset,
            candidates=request.candidates,
            lockstep=request.lockstep,
            plain_spans=tuple(request.plain_spans),
            format_stops=tuple(request.format_stops),
        )
        self._stop_flag.value = 0
        self._grammar = request.grammar
        self._log.mark()
        self._conn.send(payload)
        text = ""
        what = ANSWERING
        while True:
            try:
                reply = self._receive(control, what, path)
            except Cancelled:
                yield Generated(text, 0, 0, 0.0, 0.0, "cancelled")
                return
            except WorkerDied as exc:
                exc.partial = text
                raise
            except LlamaFailed as exc:
                raise BackendError(f"llama.cpp failed while answering with {Path(path).name}: {exc.reason}") from None
            if isinstance(reply, Phase):
                what = reply.what
            elif isinstance(reply, TokenPiece):
                text += reply.text
                choice = TokenChoice.from_dict(reply.choice) if reply.choice else None
                yield Piece(reply.text, reply.token, choice)
                if request.lockstep and reply.token >= 0:
                    if control.answer_should_stop():
                        self._stop_flag.value = 1  # the waiting worker ends the answer instead
                    else:
                        self._conn.send(NextToken())  # the consumer wants the next token now
            elif isinstance(reply, Finished):
                yield reply.result
                return

    def unload(self) -> None:
        """Unload model frees the memory of the saved contexts too: the next answers start from nothing."""
        self._states.clear()
        self._end_worker()

    def close(self) -> None:
        self._end_worker()


def _raised(reply: Reply) -> Reply:
    """The worker's reply, or the error it carries raised: a Samantha error as the type the worker raised,
    a bug as WorkerBugError with the worker's traceback."""
    if isinstance(reply, Failed):
        raise reply.error
    if isinstance(reply, WorkerBug):
        raise WorkerBugError(f"the llama.cpp worker failed: {reply.kind}: {reply.message}\n{reply.traceback}")
    return reply

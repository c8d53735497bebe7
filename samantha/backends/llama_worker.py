"""The worker process that holds the llama.cpp model (child side).

llama.cpp runs here, not in the app, because a file that crashes it kills the
process that holds it; the app only loses a worker. The parent talks to it over
a pipe and asks it to stop through a shared integer that llama.cpp itself
checks while loading (progress callback) and while reading a prompt (abort
callback, armed only then), so Stop works in every phase.

The messages both ways are the typed ones in worker_messages. A request fails with a `Failed` reply
that carries a Samantha error as itself; llama-cpp-python's own exceptions are translated here, in
`_serve`, into `LlamaFailed`; anything else is a bug and says so (`WorkerBug`, with its traceback).
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import re
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from samantha.backends.base import BackendError, BadGrammar, Cancelled, Generated, PromptTooLong
from samantha.backends.llama_compat import LlamaCompat
from samantha.backends.threads import resolved_threads
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
from samantha.errors import SamanthaError
from samantha.sampling import TailFreeProcessor

if TYPE_CHECKING:
    from samantha.settings import Sampling

# What llama-cpp-python raises when it cannot load a file or decode (ctypes failures are OSErrors).
LLAMA_ERRORS = (ValueError, RuntimeError, OSError, MemoryError)
# Said to the parent before llama.cpp parses a grammar, so a crash there is blamed on the grammar, not the model.
GRAMMAR_PHASE = "reading the grammar"
ANSWER_PHASE = "answering with"
# llama.cpp's log: warnings and errors are kept (INFO would add dozens of lines per load); CONT continues a line.
# These are ggml.h's numbers today (DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5); llama-cpp-python's _logger
# still maps the older ones.
_LOG_LEVELS_KEPT = frozenset({3, 4})
_LOG_CONTINUE = 5
LOG_ROTATE_BYTES = 2_000_000
# Outside learning mode, text goes to the app at most this often (the first piece at once). A message per
# token wakes the app process for every token, and on a two-core laptop that takes a core from one of
# llama.cpp's threads in the middle of its next decode (measured: 0.85 of raw llama-cpp-python's speed with a
# message per token, 1.0 with this). 25 updates a second still reads as a smooth stream; learning mode,
# which shows every token, still sends one message per token.
STREAM_INTERVAL_SECONDS = 0.04


def send_stderr_to(log_path: str) -> int:
    """Point this process's stderr (fd 2, where llama.cpp prints) at the llama.cpp log file; returns a second
    descriptor of the log for llama.cpp's log callback (llama-cpp-python points fd 2 at /dev/null while loading).

    llama.cpp prints load warnings such as `llama_kv_cache_iswa: using full-size SWA cache` straight to
    stderr, which is the app's terminal: there they land in the middle of the transcript. In the log
    file they stay out of the way and the app can quote them when a load fails or the worker dies.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 2)
    return descriptor


@contextlib.contextmanager
def _llama_params(llama_cpp: Any, model_fields: dict[str, Any], context_fields: dict[str, Any]) -> Iterator[None]:
    """Set model/context parameters that `Llama()` does not expose (it builds them from these defaults).

    This only ever runs inside the worker process, around one `Llama()` call.
    """
    lib = llama_cpp.llama_cpp
    model_default, context_default = lib.llama_model_default_params, lib.llama_context_default_params

    def model_params() -> Any:
        params = model_default()
        for name, value in model_fields.items():
            setattr(params, name, value)
        return params

    def context_params() -> Any:
        params = context_default()
        for name, value in context_fields.items():
            setattr(params, name, value)
        return params

    lib.llama_model_default_params, lib.llama_context_default_params = model_params, context_params
    try:
        yield
    finally:
        lib.llama_model_default_params, lib.llama_context_default_params = model_default, context_default


def _token_view(token_data_array: Any) -> Any:
    """The (id, logit, p) records llama.cpp passes a sampler, as a writable numpy view (no copy)."""
    size = int(token_data_array.contents.size)
    return np.ctypeslib.as_array(token_data_array.contents.data, shape=(size,)) if size else None


def _insert_step(llama_cpp: Any, sampler: Any, at: int, step: Callable[[Any], None]) -> None:
    """Put a Python step at position `at` of a llama-cpp-python sampler chain; the samplers from there on
    follow it. Steps are only ever added behind the existing Python ones, so the positions llama-cpp-python
    keeps to free them stay right."""
    chain = sampler.sampler
    moved = [llama_cpp.llama_sampler_chain_remove(chain, llama_cpp.llama_sampler_chain_n(chain) - 1)
             for _ in range(llama_cpp.llama_sampler_chain_n(chain) - at)]
    sampler.add_custom(step)
    for later in reversed(moved):
        llama_cpp.llama_sampler_chain_add(chain, later)


# llama.cpp's samplers that can cut or lower the most probable token, by the setting the user knows them by.
STAGE_SETTINGS = {"penalties": "a penalty", "grammar": "the grammar", "top-k": "top_k", "typical": "typical_p",
                  "top-p": "top_p", "min-p": "min_p"}


def idle_samplers(sampling: Sampling) -> frozenset[str]:
    """The llama.cpp samplers that cannot change any logit with these settings (penalties at 1.0, 0 and 0)."""
    neutral = sampling.repeat_penalty == 1.0 and sampling.frequency_penalty == 0.0 and sampling.presence_penalty == 0.0
    return frozenset({"penalties"}) if neutral else frozenset()


@dataclass(frozen=True)
class ChainExtras:
    """Samantha's steps inside llama.cpp's sampler chain.

    `tail_free` runs where llama.cpp once ran tail-free sampling: after the penalties and the
    grammar (`leading` samplers), before top-k; run earlier, it could keep only tokens a grammar
    forbids, which aborts llama.cpp. `observe` sees what reaches the final pick (learning mode).
    """

    leading: int
    tail_free: TailFreeProcessor | None = None
    observe: Callable[[Any, Any], None] | None = None
    # Learning mode: called after each sampler that can cut or lower tokens, with the setting's name.
    stage: Callable[[str, Any, Any], None] | None = None
    # Samplers these settings leave without effect: nothing to watch after them (a pass over the vocabulary saved).
    idle: frozenset[str] = frozenset()

    def install(self, llama_cpp: Any, sampler: Any) -> None:
        chain = sampler.sampler
        count = llama_cpp.llama_sampler_chain_n(chain)
        python_steps = {index for index, _ in sampler.custom_samplers}  # they have no name (NULL: asking crashes)
        names = ["" if i in python_steps else llama_cpp.llama_sampler_name(llama_cpp.llama_sampler_chain_get(chain, i)).decode()
                 for i in range(count)]
        plan: list[tuple[int, Callable[[Any], None]]] = []  # (before which sampler, step), in chain order
        if self.stage is not None:
            plan += [(i + 1, self._watch(STAGE_SETTINGS[name])) for i, name in enumerate(names)
                     if name in STAGE_SETTINGS and name not in self.idle]
        if self.tail_free is not None:
            tail_free = self.tail_free

            def cut_tail(token_data_array: Any) -> None:
                data = _token_view(token_data_array)
                if data is not None:
                    logits = data["logit"]
                    logits[:] = tail_free(np.empty(0, dtype=np.intc), np.array(logits))

            plan.append((self.leading, cut_tail))
            if self.stage is not None:
                plan.append((self.leading, self._watch("tfs_z")))
        if self.observe is not None:
            observe = self.observe

            def read(token_data_array: Any) -> None:
                data = _token_view(token_data_array)
                if data is not None:
                    observe(data["id"], data["logit"])

            plan.append((count - 1, read))
        # Each step goes in behind the ones before it (see _insert_step); equal places keep the plan's order.
        for added, (position, step) in enumerate(sorted(plan, key=lambda entry: entry[0])):
            _insert_step(llama_cpp, sampler, position + added, step)

    def _watch(self, setting: str) -> Callable[[Any], None]:
        stage = self.stage
        assert stage is not None

        def watch(token_data_array: Any) -> None:
            data = _token_view(token_data_array)
            if data is not None:
                stage(setting, data["id"], data["logit"])

        return watch



@contextlib.contextmanager
def _prompt_read_clock(llm: Any) -> Iterator[list[float]]:
    """While generating, the list gets the moment llama.cpp finished reading the prompt (its first `eval`).

    Generation speed is counted from there: the first token's pick belongs to generation, and a one-token
    answer must not be timed over a few microseconds of bookkeeping.
    """
    marks: list[float] = []
    evaluate = llm.eval

    def timed(tokens: Any) -> None:
        evaluate(tokens)
        if not marks:
            marks.append(time.perf_counter())

    llm.eval = timed  # an instance attribute: `generate` calls self.eval
    try:
        yield marks
    finally:
        del llm.eval


@contextlib.contextmanager
def _chain_extended(llama_cpp: Any, llm: Any, extras: ChainExtras) -> Iterator[None]:
    """While generating, every sampler chain `llm` builds also holds Samantha's steps.

    llama-cpp-python builds the chain in `_init_sampler` when generation starts. Should a version
    lack it, tail-free sampling and the after-sampler view are left out rather than the answer failing.
    """
    build = getattr(llm, "_init_sampler", None)
    if build is None or (extras.tail_free is None and extras.observe is None and extras.stage is None):
        yield
        return

    def init_sampler(*args: Any, **kwargs: Any) -> Any:
        sampler = build(*args, **kwargs)
        extras.install(llama_cpp, sampler)
        return sampler

    llm._init_sampler = init_sampler
    try:
        yield
    finally:
        del llm._init_sampler


def _stop_text_end(text: str, stops: tuple[str, ...]) -> tuple[int, int]:
    """(index where a stop string starts or -1, length of text that is safe to show now)."""
    first = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    if first >= 0:
        return first, first
    held = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:size]):
                held = max(held, size)
                break
    return -1, len(text) - held


class Worker:
    """Holds at most one `Llama` and serves the parent's requests one at a time."""

    def __init__(self, conn: Connection, stop_flag: Any, log_fd: int = 2) -> None:
        import llama_cpp  # imported here so the parent never loads llama.cpp

        self.llama_cpp = llama_cpp
        self.compat = LlamaCompat.inspect(llama_cpp)
        self.notices: list[str] = []  # what the installed llama-cpp-python could not do, told with the next answer
        self.conn = conn
        self.stop_flag = stop_flag
        self.llm: Any = None
        self.add_bos = True
        self.bos_text = ""
        # ctypes callbacks must stay referenced while llama.cpp may call them.
        self._progress = llama_cpp.llama_progress_callback(lambda progress, data: not self.stop_flag.value)
        self._abort = llama_cpp.ggml_abort_callback(lambda data: bool(self.stop_flag.value))
        self._no_abort = llama_cpp.ggml_abort_callback()  # NULL: llama.cpp checks nothing
        # llama.h's llama_set_abort_callback has no Python wrapper; bind it from the same library.
        self._set_abort = llama_cpp.llama_cpp._lib.llama_set_abort_callback
        self._set_abort.argtypes = [ctypes.c_void_p, llama_cpp.ggml_abort_callback, ctypes.c_void_p]
        self._set_abort.restype = None
        self._kept_level = False
        self._log_fd = log_fd
        self._log = llama_cpp.llama_log_callback(self._write_log)
        llama_cpp.llama_log_set(self._log, ctypes.c_void_p(0))

    def _write_log(self, level: int, text: bytes, user_data: Any) -> None:
        """llama.cpp's warnings and errors go to the log file (or stderr when there is none)."""
        if level != _LOG_CONTINUE:
            self._kept_level = level in _LOG_LEVELS_KEPT
        if self._kept_level and text:
            with contextlib.suppress(OSError):
                os.write(self._log_fd, text)

    def serve(self) -> None:
        try:
            self._serve()
        except (BrokenPipeError, ConnectionResetError, EOFError):
            return  # the app closed the pipe (it ended, or dropped an answer it no longer wants): just end
        finally:
            # llama.cpp keeps the log callback's address: once this worker (and its callback) is gone, a later
            # log line in the same process would jump into freed memory. Give llama-cpp-python its own back.
            from llama_cpp._logger import llama_log_callback

            self.llama_cpp.llama_log_set(llama_log_callback, ctypes.c_void_p(0))

    def _serve(self) -> None:
        while True:
            message = self.conn.recv()
            if isinstance(message, Quit):
                return
            if isinstance(message, NextToken):
                continue  # a pacing step that arrived after its answer was stopped
            try:
                self._answer(message)
            except SamanthaError as exc:
                self.conn.send(Failed(exc))
            except LLAMA_ERRORS as exc:  # llama-cpp-python's exceptions become Samantha's here, and only here
                self.conn.send(Failed(LlamaFailed(str(exc) or type(exc).__name__)))
            except Exception as exc:  # noqa: BLE001 - a bug: the app raises it as one, with this traceback
                self.conn.send(WorkerBug(type(exc).__name__, str(exc), traceback.format_exc()))

    def _answer(self, message: object) -> None:
        """Do what one request asks; its reply (or replies, for an answer) goes back over the pipe."""
        if isinstance(message, LoadModel):
            self.conn.send(Loaded(**self.load(message.path, asdict(message.options))))
        elif isinstance(message, CountTokens):
            self.conn.send(TokenCount(len(self.tokenize(message.text))))
        elif isinstance(message, Tokenize):
            self.conn.send(TokenIds(tuple(self.tokenize(message.text, message.plain_spans))))
        elif isinstance(message, Generate):
            self.generate(asdict(message))
        elif isinstance(message, SaveState):
            saved = self.save_state()
            self.conn.send(StateSaved(tuple(saved[0]), saved[1]) if saved is not None else StateSaved(None))
        elif isinstance(message, RestoreState):
            self.conn.send(Restored(self.restore_state(list(message.tokens), message.data)))
        else:
            raise BackendError(f"the llama.cpp worker does not know the request {message!r}")

    def load(self, path: str, options: dict[str, Any]) -> dict[str, Any]:
        llama_cpp = self.llama_cpp
        self.llm = None
        started = time.perf_counter()
        model_fields, self.notices = self.compat.model_fields(bool(options["repack"]), self._progress)
        context_fields: dict[str, Any] = {}
        threads = resolved_threads(options["n_threads"])
        with _llama_params(llama_cpp, model_fields, context_fields):
            try:
                llm = llama_cpp.Llama(
                    model_path=path,
                    n_ctx=options["n_ctx"],
                    n_batch=options["n_batch"],
                    n_threads=threads,
                    n_threads_batch=threads,
                    verbose=False,
                )
            except Exception:
                if self.stop_flag.value:
                    raise Cancelled("stopped") from None
                raise
        self.llm = llm
        self.add_bos = self.compat.adds_bos(llm)
        metadata = llm.metadata
        arch = metadata.get("general.architecture", "")
        self.bos_text = self._token_text(llm.token_bos())
        return {
            "n_ctx": self._usable_ctx(),
            "n_ctx_train": int(metadata.get(f"{arch}.context_length", llm.n_ctx())),
            "n_vocab": llm.n_vocab(),
            "chat_template": metadata.get("tokenizer.chat_template"),
            "bos_token": self.bos_text,
            "eos_token": self._token_text(llm.token_eos()),
            "architecture": arch,
            "chatml_tokens": self._is_control_text("<|im_start|>"),
            "load_seconds": time.perf_counter() - started,
            "n_threads": threads,
        }

    def _grammar_problem(self, vocab: Any, grammar: str) -> str | None:
        """None when llama.cpp takes the grammar, else its own words why not.

        llama-cpp-python adds whatever llama.cpp returns to the sampler chain, and a grammar that does not
        parse returns nothing, which would crash this process: so it is tried on its own first, with
        llama.cpp's log caught to quote the reason.
        """
        llama_cpp = self.llama_cpp
        said: list[str] = []

        @llama_cpp.llama_log_callback
        def catch(level: int, text: bytes, user_data: Any) -> None:
            said.append(text.decode("utf-8", errors="replace"))

        llama_cpp.llama_log_set(catch, ctypes.c_void_p(0))
        saved_stderr = os.dup(2)  # the parser prints its reason straight to stderr
        with tempfile.TemporaryFile() as printed:
            os.dup2(printed.fileno(), 2)
            try:
                probe = self.compat.grammar_sampler(vocab, grammar)
            finally:
                os.dup2(saved_stderr, 2)
                os.close(saved_stderr)
                llama_cpp.llama_log_set(self._log, ctypes.c_void_p(0))
            printed.seek(0)
            said.append(printed.read().decode("utf-8", errors="replace"))
        log = "".join(said)
        if probe:
            llama_cpp.llama_sampler_free(probe)
        if not self.compat.grammar_failed(bool(probe), log):
            return None
        reason = re.search(r"error parsing grammar: ([^\n]+)", log)
        lines = [line.strip() for line in log.splitlines() if line.strip()]
        return reason.group(1).strip() if reason else (lines[0] if lines else "")

    def _usable_ctx(self) -> int:
        """The context the user asked for: llama.cpp may round its own up (4000 -> 4096), but
        llama-cpp-python's token buffer holds exactly the requested size, and overflowing it crashes."""
        return min(self.llm.n_ctx(), int(self.llm.input_ids.shape[0]))

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def _is_control(self, token: int) -> bool:
        attr = self.compat.token_attr(self.compat.vocab(self.llm), token)
        return bool(attr & (self.llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | self.llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN))

    def _is_control_text(self, text: str) -> bool:
        """Whether `text` is exactly one control token of this vocabulary (e.g. <|im_start|>)."""
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return len(tokens) == 1 and self._is_control(tokens[0])

    def tokenize(self, text: str, plain_spans: Any = ()) -> list[int]:
        """The prompt's tokens: the format's markers as control tokens, the contents (`plain_spans`) as text.

        When no content holds a control token's text, llama.cpp tokenizes the whole prompt at once,
        exactly as llama-cpp-python would; otherwise the markup and the contents are tokenized apart,
        so a literal `<|im_start|>user` in an answer stays text and never opens a real turn.
        """
        spans = sorted((int(start), int(end)) for start, end in plain_spans)
        add_bos = self.add_bos and not (self.bos_text and text.startswith(self.bos_text)
                                        and (not spans or spans[0][0] >= len(self.bos_text)))
        if not any(self._holds_control(text[start:end]) for start, end in spans):
            return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        segments: list[tuple[str, bool]] = []  # (text, is markup)
        position = 0
        for start, end in spans:
            if start > position:
                segments.append((text[position:start], True))
            segments.append((text[start:end], False))
            position = max(position, end)
        if position < len(text):
            segments.append((text[position:], True))
        controls = self._control_texts([part for part, markup in segments if markup])
        pattern = re.compile("|".join(re.escape(c) for c in controls)) if controls else None
        ids: list[int] = [self.llm.token_bos()] if add_bos else []
        plain = ""
        for part, markup in segments:
            if not markup or pattern is None:
                plain += part
                continue
            last = 0
            for match in pattern.finditer(part):
                plain += part[last:match.start()]
                ids += self._plain_tokens(plain)
                plain = ""
                ids += self.llm.tokenize(match.group().encode("utf-8"), add_bos=False, special=True)
                last = match.end()
            plain += part[last:]
        return ids + self._plain_tokens(plain)

    def _plain_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []

    def _holds_control(self, text: str) -> bool:
        return any(self._is_control(token) for token in self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _control_texts(self, markup: list[str]) -> list[str]:
        """The control tokens the format's own markup is written with, longest first."""
        found: set[str] = set()
        for part in markup:
            for token in self.llm.tokenize(part.encode("utf-8"), add_bos=False, special=True):
                if self._is_control(token):
                    found.add(self._token_text(token))
        return sorted(found, key=len, reverse=True)

    def _piece_text(self, token: int) -> str:
        """A candidate's text; control tokens by name (`<|im_end|>`), so ending the answer shows as a candidate."""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="backslashreplace")

    def _wait_for_next(self) -> bool:
        """Learning mode's pacing: wait for the parent's NextToken; False when asked to stop."""
        while not self.conn.poll(0.05):
            if self.stop_flag.value:
                return False
        self.conn.recv()
        return not self.stop_flag.value

    def save_state(self) -> tuple[list[int], bytes] | None:
        """The tokens the context holds and llama.cpp's state for them (KV cache), or None when empty."""
        llm, llama_cpp = self.llm, self.llama_cpp
        if llm is None or llm.n_tokens == 0:
            return None
        size = llama_cpp.llama_state_get_size(llm.ctx)
        buffer = (ctypes.c_uint8 * int(size))()
        written = int(llama_cpp.llama_state_get_data(llm.ctx, buffer, size))
        return [int(token) for token in llm.input_ids[: llm.n_tokens]], ctypes.string_at(buffer, written)

    def restore_state(self, tokens: list[int], data: bytes) -> int:
        """Put a saved state back, so the next prompt that starts with `tokens` reads only its tail; returns
        how many tokens the context holds now (0 when llama.cpp refused the state)."""
        llm, llama_cpp = self.llm, self.llama_cpp
        if not tokens or len(tokens) > self._usable_ctx():
            return 0
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if int(llama_cpp.llama_state_set_data(llm.ctx, buffer, len(data))) == 0:
            self._clear_state()
            return 0
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return len(tokens)

    def _clear_state(self) -> None:
        self.llm.reset()
        self.compat.clear_memory(self.llm)

    def generate(self, request: dict[str, Any]) -> None:
        from samantha.learning import CandidateRecorder
        from samantha.sampling import tfs_is_active
        from samantha.settings import Sampling

        llama_cpp = self.llama_cpp
        llm = self.llm
        sampling = Sampling(**{**request["sampling"], "stop": tuple(request["sampling"]["stop"])})
        tokens = self.tokenize(request["prompt"], request.get("plain_spans", ()))
        n_ctx = self._usable_ctx()
        room = n_ctx - len(tokens)
        if room < 1:
            raise PromptTooLong(len(tokens), n_ctx)
        limit = min(sampling.max_tokens, room) if sampling.max_tokens > 0 else room
        if request["reset"]:
            self._clear_state()
        llm.set_seed(request["seed"])
        recorder = None
        chain: list[Any] = []
        notices, self.notices = self.notices, []
        compat = self.compat
        if request["candidates"] and not compat.logits_hooks:
            notices.append(compat.unavailable("learning mode's token candidates", "logits processors in its sampler chain"))
        elif request["candidates"]:
            # First in the sampler chain, so it sees the raw logits of each step.
            recorder = CandidateRecorder(request["candidates"], self._piece_text, greedy=sampling.temperature == 0)
            chain.append(recorder)
        processors = llama_cpp.LogitsProcessorList(chain) if chain else None
        tail_free = TailFreeProcessor(sampling.tfs_z, sampling.top_k) if tfs_is_active(sampling) else None
        if not compat.chain_steps:
            needs = "Llama._init_sampler sampler chain to add steps to"
            if tail_free is not None:
                notices.append(compat.unavailable(f"tail-free sampling (tfs_z {sampling.tfs_z:g})", needs))
            if recorder is not None:
                notices.append(compat.unavailable("learning mode's probabilities after the samplers", needs))
        extras = ChainExtras(
            # llama-cpp-python's chain: [our logits processors], penalties, [grammar], top-k, …, the pick
            leading=(1 if processors else 0) + 1 + (1 if request["grammar"] else 0),
            tail_free=tail_free if compat.chain_steps else None,
            observe=recorder.observe_final if recorder is not None and compat.chain_steps else None,
            stage=recorder.observe_stage if recorder is not None and compat.chain_steps else None,
            idle=idle_samplers(sampling),
        )
        lockstep = bool(request.get("lockstep")) and recorder is not None
        vocab = compat.vocab(llm)
        if request["grammar"]:
            self.conn.send(Phase(GRAMMAR_PHASE))
            problem = self._grammar_problem(vocab, request["grammar"])
            if problem is not None:
                raise BadGrammar(problem)
            self.conn.send(Phase(ANSWER_PHASE))
        grammar = llama_cpp.LlamaGrammar.from_string(request["grammar"], verbose=False) if request["grammar"] else None
        stops = tuple(dict.fromkeys((*sampling.stop, *request.get("format_stops", ()))))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        text = ""
        shown = 0
        count = 0
        finish = "length"
        next_send = 0.0  # when text may next go to the app (outside learning mode)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        started = time.perf_counter()
        extended = contextlib.ExitStack()  # closed with the generator, below
        extended.enter_context(_chain_extended(llama_cpp, llm, extras))
        prompt_read = extended.enter_context(_prompt_read_clock(llm))
        generator = llm.generate(
            tokens,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=sampling.min_p,
            typical_p=sampling.typical_p,
            temp=sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            frequency_penalty=sampling.frequency_penalty,
            presence_penalty=sampling.presence_penalty,
            logits_processor=processors,
            grammar=grammar,
        )
        # The abort callback runs for every graph node, so it is armed only while the prompt is
        # read (long batches); between generated tokens the loop below checks the flag itself.
        self._set_abort(llm.ctx, self._abort, None)
        try:
            for token in generator:
                if count == 0:
                    self._set_abort(llm.ctx, self._no_abort, None)
                if self.stop_flag.value:
                    finish = "cancelled"
                    break
                if compat.is_end_of_generation(vocab, token):
                    finish = "eos"
                    break
                count += 1
                text += decoder.decode(llm.detokenize([token]))
                cut, safe = _stop_text_end(text, stops) if stops else (-1, len(text))
                if cut >= 0:
                    text = text[:cut]
                    finish = "stop"
                if recorder is not None:
                    # Learning mode: one message per token, even when its text is held back.
                    choice = recorder.choice(token)
                    self.conn.send(TokenPiece(text[shown:safe], token, choice.to_dict() if choice else None))
                    shown = safe
                    if lockstep and not self._wait_for_next():
                        finish = "cancelled"
                        break
                elif safe > shown and (now := time.perf_counter()) >= next_send:
                    self.conn.send(TokenPiece(text[shown:safe], token))
                    shown, next_send = safe, now + STREAM_INTERVAL_SECONDS
                if cut >= 0 or count >= limit:
                    if cut < 0 and count >= room:
                        finish = "context"  # the window is full, whatever max_tokens allowed
                    break
        except RuntimeError:
            if not self.stop_flag.value:
                raise
            # llama.cpp aborted reading the prompt: its state is partial, so start clean next time.
            self._clear_state()
            finish = "cancelled"
        finally:
            self._set_abort(llm.ctx, self._no_abort, None)
            generator.close()
            extended.close()
        if finish not in ("stop",):
            tail = decoder.decode(b"", final=True)
            text += tail
        if len(text) > shown:
            self.conn.send(TokenPiece(text[shown:], -1))
        ended = time.perf_counter()
        read_at = prompt_read[0] if prompt_read else ended  # stopped before the prompt was read: all prompt time
        # llama.cpp's own count of prompt tokens it had to read (the rest came from the KV cache).
        evaluated = int(llama_cpp.llama_perf_context(llm.ctx).n_p_eval)
        self.conn.send(Finished(Generated(
            text=text,
            prompt_tokens=len(tokens),
            answer_tokens=count,
            prompt_seconds=read_at - started,
            generation_seconds=ended - read_at,
            finish_reason=finish,
            extra={"evaluated_prompt_tokens": evaluated},
            notices=tuple(notices),
        )))


def worker_main(conn: Connection, stop_flag: Any, log_path: str | None = None) -> None:
    """Entry point of the worker process; `log_path` receives llama.cpp's own messages."""
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C and ends us
    log_fd = 2
    if log_path:
        with contextlib.suppress(OSError):  # a log that cannot be opened leaves stderr as it was
            log_fd = send_stderr_to(log_path)
    Worker(conn, stop_flag, log_fd).serve()


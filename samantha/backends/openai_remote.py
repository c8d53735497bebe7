"""The remote backend: models on OpenAI-compatible servers (llama.cpp's llama-server, vLLM, Ollama, LM Studio).

With the model's own template ("auto") the chain's messages go to /chat/completions
and the server applies its template; with a forced prompt format the rendered text
goes to /completions. Answers stream as server-sent events, read in a thread so
Stop ends the answer at once (the connection is shut, which also ends the
server's work). The API key comes from the run (typed in the page), the
constructor (CLI), or SAMANTHA_API_KEY / OPENAI_API_KEY; it is sent as a Bearer
header and nowhere else: not in events, records, session files or messages.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from samantha.backends.base import (
    BackendError,
    Cancelled,
    Control,
    Generated,
    GenerationRequest,
    LoadOptions,
    ModelInfo,
    Piece,
)
from samantha.backends.openai_errors import (
    ModelUnknown,
    RemoteError,
    ServerUnreachable,
    WrongURL,
    for_status,
    unreachable,
)
from samantha.backends.openai_params import OPENAI, VLLM, ServerKind, map_sampling, server_kind
from samantha.backends.openai_refs import RemoteRef, RemoteRefError, parse_ref
from samantha.backends.openai_sse import DONE, finish_reason, parse_chunk, sse_data
from samantha.formats import Message, TemplateInfo

KEY_ENVIRONMENT = ("SAMANTHA_API_KEY", "OPENAI_API_KEY")
POLL_SECONDS = 0.05
CONNECT_SECONDS = 5.0
LIST_SECONDS = 20.0
# A server may think about a long prompt for minutes before the first token; Stop ends the wait sooner.
READ_SECONDS = 600.0

# What the transcript and session file show as the prompt of a chat request: the turns in ChatML.
# The server renders them with its own template, which Samantha cannot see.
CHAT_RECORD_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def key_name(base_url: str) -> str:
    """The name under which a run holds the API key for one server (Control.give_secret)."""
    return f"api_key {base_url}"


@dataclass(frozen=True)
class ServerModel:
    id: str
    owned_by: str = ""
    n_ctx: int = 0  # the context length the server reports, 0 when it does not say


@dataclass(frozen=True)
class ServerModels:
    """A server's /models answer."""

    base_url: str
    kind: ServerKind
    models: tuple[ServerModel, ...]

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.models]


def _context_length(entry: Mapping[str, Any]) -> int:
    meta: Mapping[str, Any] = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
    for value in (entry.get("max_model_len"), entry.get("context_length"), meta.get("n_ctx"), meta.get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            return value
    return 0


def _models_from(body: Any, base_url: str) -> ServerModels:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise WrongURL(f"{base_url}/models did not answer with a model list: check that the address is the API base (it usually ends in /v1)")
    models = tuple(
        ServerModel(str(e["id"]), str(e.get("owned_by") or ""), _context_length(e))
        for e in data if isinstance(e, dict) and e.get("id")
    )
    return ServerModels(base_url, server_kind(m.owned_by for m in models), models)


def merged_turns(messages: tuple[Message, ...]) -> list[dict[str, str]]:
    """Chat turns for the API: the system parts joined into one leading system turn."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = [{"role": "system", "content": system}] if system else []
    return turns + [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]


class _Stream:
    """One streamed request read in its own thread; the consumer polls `events` and may abandon it."""

    def __init__(self, client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str],
                 base_url: str, path: str, model: str) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._abandoned = threading.Event()
        self._lock = threading.Lock()
        self._response: httpx.Response | None = None
        self._args = (client, url, body, headers, base_url, path, model)
        self._thread = threading.Thread(target=self._read, name=f"remote answer {model}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        client, url, body, headers, base_url, path, model = self._args
        try:
            with client.stream("POST", url, json=body, headers=headers) as response:
                with self._lock:
                    self._response = response
                if self._abandoned.is_set():
                    return
                if response.status_code != 200:
                    response.read()
                    self.events.put(("error", for_status(response, base_url, path, model)))
                    return
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind == "application/json":  # the server ignored "stream": the whole answer at once
                    self.events.put(("data", response.read().decode("utf-8", errors="replace")))
                    self.events.put(("end", None))
                    return
                if kind in ("text/html", "application/xhtml+xml"):
                    self.events.put(("error", WrongURL(
                        f"{base_url}{path} answered with a web page, not an OpenAI-compatible answer: check the "
                        "server address (it usually ends in /v1) and that a proxy or login page is not in the way"
                    )))
                    return
                for data in sse_data(response.iter_lines()):
                    if self._abandoned.is_set():
                        return
                    self.events.put(("data", data))
            self.events.put(("end", None))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            self.events.put(("error", unreachable(base_url, exc)))
        except Exception as exc:  # noqa: BLE001 - the consumer decides: a cut stream, or a stop
            self.events.put(("broken", exc))

    def abandon(self) -> None:
        """Stop reading now: shut the connection so the server stops too, and let the thread end."""
        self._abandoned.set()
        with self._lock:
            response = self._response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@dataclass
class _Answer:
    """What has arrived so far."""

    text: str = ""
    tokens: int = 0
    first_at: float | None = None
    server_finish: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


class OpenAIRemoteBackend:
    """A Backend for `openai+http(s)://host:port/v1#model` entries."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self._api_key = api_key or None
        self._environ = environ if environ is not None else os.environ
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(CONNECT_SECONDS, read=read_seconds),
            follow_redirects=False,
        )
        self._loaded: tuple[RemoteRef, str | None] | None = None
        self._info: ModelInfo | None = None
        self._kind: ServerKind = OPENAI
        self._told: set[tuple[str, tuple[str, ...]]] = set()

    # -- the key and the model list ------------------------------------------
    def api_key(self, base_url: str, control: Control | None = None) -> str | None:
        """The key for `base_url`: given for this run, else to the constructor, else from the environment."""
        if control is not None and control.secret(key_name(base_url)):
            return control.secret(key_name(base_url))
        if self._api_key:
            return self._api_key
        return next((self._environ[name] for name in KEY_ENVIRONMENT if self._environ.get(name)), None)

    @staticmethod
    def _headers(key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def list_models(self, base_url: str, api_key: str | None = None) -> ServerModels:
        """The server's /models answer; RemoteError says what is wrong (down, wrong path, key refused)."""
        try:
            response = self._client.get(f"{base_url}/models", headers=self._headers(api_key), timeout=LIST_SECONDS)
        except httpx.TransportError as exc:
            raise unreachable(base_url, exc) from None
        if response.status_code != 200:
            raise for_status(response, base_url, "/models")
        try:
            body = response.json()
        except ValueError:
            raise WrongURL(f"{base_url}/models did not answer with JSON: check the address (it usually ends in /v1)") from None
        return _models_from(body, base_url)

    def _list_until_stopped(self, base_url: str, key: str | None, control: Control) -> ServerModels:
        """list_models in a thread, so Stop does not wait for a slow or silent server."""
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["listing"] = self.list_models(base_url, key)
            except BaseException as exc:  # noqa: BLE001 - raised again in the chain's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"remote models {base_url}", daemon=True)
        worker.start()
        while worker.is_alive():
            if control.answer_should_stop():
                raise Cancelled(f"stopped while asking {base_url} for its models")
            worker.join(POLL_SECONDS)
        if "error" in outcome:
            raise outcome["error"]
        listing: ServerModels = outcome["listing"]
        return listing

    # -- Backend protocol ----------------------------------------------------
    def load(self, ref: str, options: LoadOptions, control: Control) -> ModelInfo:
        """Check that the server answers and serves the model; nothing is loaded here."""
        try:
            remote = parse_ref(ref)
        except RemoteRefError as exc:
            raise RemoteError(str(exc)) from None
        key = self.api_key(remote.base_url, control)
        if self._loaded == (remote, key) and self._info is not None:
            return replace(self._info, reused=True)
        started = time.perf_counter()
        listing = self._list_until_stopped(remote.base_url, key, control)
        model = remote.model
        ids = listing.ids
        if not model:
            if len(ids) != 1:
                raise ModelUnknown(
                    f"{ref} names no model and the server serves {len(ids)}: add #name to the entry, "
                    f"one of: {', '.join(ids[:20]) or '(none)'}"
                )
            model = ids[0]
        elif model not in ids:
            raise ModelUnknown(
                f"the server at {remote.base_url} does not serve the model {model!r}; it serves: "
                f"{', '.join(ids[:20]) or '(none)'}. Use List models in the Remote servers tab, or fix the name after #"
            )
        served = next(m for m in listing.models if m.id == model)
        n_ctx = served.n_ctx or options.n_ctx
        self._kind = listing.kind
        self._loaded = (remote, key)
        self._info = ModelInfo(
            ref=ref,
            name=model,
            n_ctx=n_ctx,
            n_ctx_train=served.n_ctx,
            n_vocab=0,
            template=TemplateInfo(CHAT_RECORD_TEMPLATE),
            load_seconds=time.perf_counter() - started,
        )
        return self._info

    def count_tokens(self, text: str) -> int:
        raise BackendError("a remote server does not count tokens for Samantha")

    def _body(self, request: GenerationRequest, model: str) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        chat = bool(request.messages)
        mapped = map_sampling(request.sampling, request.seed, self._kind, chat=chat, grammar=request.grammar,
                              candidates=request.candidates)
        body: dict[str, Any] = {"model": model, "stream": True, **mapped.fields}
        if chat:
            body["messages"] = merged_turns(request.messages)
        else:
            body["prompt"] = request.prompt
        if self._kind in (OPENAI, VLLM):
            body["stream_options"] = {"include_usage": True}
        return ("/chat/completions" if chat else "/completions"), body, mapped.ignored

    def generate(self, request: GenerationRequest, control: Control) -> Iterator[Piece | Generated]:
        if self._loaded is None or self._info is None:
            raise BackendError("no model is loaded")
        remote, key = self._loaded
        model = self._info.name  # the entry's model, or the only one the server serves
        path, body, ignored = self._body(request, model)
        chat = path == "/chat/completions"
        notices: list[str] = []
        if ignored and (self._info.ref, ignored) not in self._told:
            self._told.add((self._info.ref, ignored))
            notices.append(f"the {self._kind.name} at {remote.base_url} does not take {', '.join(ignored)}: "
                           "the answer was made without them")
        answer = _Answer()
        started = time.perf_counter()
        stream = _Stream(self._client, remote.base_url + path, body, self._headers(key), remote.base_url, path, model)
        finish = ""
        try:
            while not finish:
                if control.answer_should_stop():
                    finish = "cancelled"
                    break
                try:
                    kind, value = stream.events.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    continue
                if kind == "error":
                    if answer.tokens:
                        finish = "cut"
                        notices.append(self._cut_notice(remote, answer, str(value)))
                        break
                    raise value
                if kind == "broken":
                    if control.answer_should_stop():
                        finish = "cancelled"
                        break
                    if not answer.tokens and isinstance(value, httpx.TransportError):
                        raise ServerUnreachable(
                            f"the server at {remote.base_url} closed the connection before answering "
                            f"({type(value).__name__}): check that it is running and serves {model!r}"
                        )
                    finish = "cut"
                    notices.append(self._cut_notice(remote, answer, type(value).__name__))
                    break
                if kind == "end":
                    if answer.server_finish is None:
                        finish = "cut"
                        notices.append(self._cut_notice(remote, answer, "the stream ended without an end mark"))
                    else:
                        finish = finish_reason(answer.server_finish)
                    break
                if value.strip() == DONE:
                    finish = finish_reason(answer.server_finish)
                    break
                part = parse_chunk(value, chat)
                if part.error:
                    finish = "cut"
                    notices.append(self._cut_notice(remote, answer, part.error))
                    break
                if part.usage:
                    answer.usage = part.usage
                if part.finish_reason:
                    answer.server_finish = part.finish_reason
                if part.text or part.choices:
                    if answer.first_at is None:
                        answer.first_at = time.perf_counter()
                    answer.text += part.text
                    answer.tokens += max(1, len(part.choices))
                    yield from _pieces(part.text, part.choices)
        finally:
            if finish not in ("eos", "length"):
                stream.abandon()  # stopped, cut, or the consumer went away
        ended = time.perf_counter()
        first_at = answer.first_at if answer.first_at is not None else ended
        usage = answer.usage
        yield Generated(
            text=answer.text,
            prompt_tokens=_count(usage.get("prompt_tokens"), 0),
            answer_tokens=_count(usage.get("completion_tokens"), answer.tokens),
            prompt_seconds=first_at - started,
            generation_seconds=ended - first_at,
            finish_reason=finish,
            extra={"remote": {"server": remote.base_url, "api": path.lstrip("/"), "server_kind": self._kind.name,
                              "sent": {k: v for k, v in body.items() if k not in ("messages", "prompt", "grammar")}}},
            notices=tuple(notices),
        )

    @staticmethod
    def _cut_notice(remote: RemoteRef, answer: _Answer, reason: str) -> str:
        return (f"the answer from {remote.base_url} broke off after {answer.tokens} tokens ({reason}); "
                "the partial answer is kept. Check that the server is still running.")

    def unload(self) -> None:
        """Nothing is held in this computer's memory; forget the checked model so the next load checks again."""
        self._loaded = self._info = None

    def close(self) -> None:
        self._loaded = self._info = None
        self._client.close()


def _pieces(text: str, choices: list[Any]) -> Iterator[Piece]:
    """One Piece per token when the chunk's logprobs spell its text, else one Piece for the chunk."""
    if choices and "".join(c.text for c in choices) == text:
        for choice in choices:
            yield Piece(choice.text, choice.token_id, choice)
        return
    yield Piece(text, -1, choices[0] if choices else None)
    for choice in choices[1:]:
        yield Piece("", -1, choice)


def _count(value: object, fallback: int) -> int:
    """A token count from the server's usage, or `fallback` when it sent none or nonsense."""
    if isinstance(value, bool):
        return fallback
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return fallback

"""The remote backend's pure parts and its HTTP handling, through httpx's MockTransport (no network)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from samantha.backends.base import Control, Generated, GenerationRequest, LoadOptions, Piece
from samantha.backends.openai_errors import ModelUnknown, NotAuthorized, WrongURL
from samantha.backends.openai_params import LLAMA_SERVER, OPENAI, VLLM, map_sampling
from samantha.backends.openai_refs import RemoteRefError, make_ref, parse_ref
from samantha.backends.openai_remote import OpenAIRemoteBackend, key_name
from samantha.backends.openai_sse import parse_chunk, sse_data
from samantha.formats import Message
from samantha.settings import Sampling

REF = "openai+http://server:8000/v1#m"


def test_sse_joins_data_lines_skips_comments_and_drops_an_unfinished_event() -> None:
    lines = [": keep-alive", "event: message", "data: {\"a\":", "data:1}", "", "id: 3", "data: [DONE]", "",
             "data: cut off"]
    assert list(sse_data(lines)) == ['{"a":\n1}', "[DONE]"]


def test_chunks_give_text_end_reason_and_learning_steps() -> None:
    chat = {"choices": [{"index": 0, "delta": {"content": "H"}, "finish_reason": None, "logprobs": {"content": [
        {"token": "H", "logprob": -2.0, "top_logprobs": [{"token": "i", "logprob": -1.0}, {"token": "H", "logprob": -2.0}]}]}}]}
    part = parse_chunk(json.dumps(chat), chat=True)
    [step] = part.choices
    assert part.text == "H" and step.rank == 2 and [c.text for c in step.candidates] == ["i", "H"]
    assert step.token_id == step.candidates[1].token_id and step.token_id != step.candidates[0].token_id
    completion = {"choices": [{"index": 0, "text": "x", "finish_reason": "length",
                               "logprobs": {"tokens": ["x"], "token_logprobs": [-0.5], "top_logprobs": [{"x": -0.5}]}}]}
    part = parse_chunk(json.dumps(completion), chat=False)
    assert part.finish_reason == "length" and part.choices[0].rank == 1
    assert parse_chunk('{"error": {"message": "overloaded"}}', chat=True).error == "overloaded"


def test_sampling_maps_to_what_each_server_takes() -> None:
    greedy = map_sampling(Sampling(), 5, LLAMA_SERVER, chat=True)
    assert greedy.fields["temperature"] == 0.0 and greedy.fields["top_k"] == 1 and greedy.fields["repeat_penalty"] == 1.0
    assert "top_p" not in greedy.fields and greedy.ignored == ()
    varied = Sampling(temperature=0.7, top_p=0.9, min_p=0.05, typical_p=0.5, tfs_z=0.8, repeat_penalty=1.1, max_tokens=0)
    vllm = map_sampling(varied, 5, VLLM, chat=False, grammar="root ::= \"a\"", candidates=30)
    assert vllm.fields["repetition_penalty"] == 1.1 and vllm.fields["min_p"] == 0.05 and vllm.fields["top_p"] == 0.9
    assert vllm.fields["max_tokens"] is None and vllm.fields["logprobs"] == 20
    assert vllm.ignored == ("tfs_z=0.8", "typical_p=0.5", "grammar")
    openai = map_sampling(varied, 5, OPENAI, chat=True, candidates=3)
    assert not {"top_k", "min_p", "typical_p", "repeat_penalty", "grammar"} & set(openai.fields)
    assert openai.fields["top_logprobs"] == 3 and "max_tokens" not in openai.fields
    assert "repeat_penalty=1.1" in openai.ignored and "top_k=40" in openai.ignored


def test_refs_parse_and_bad_ones_say_the_form() -> None:
    assert parse_ref("openai+HTTPS://h:1/v1/#big model") == parse_ref(make_ref("https://h:1/v1", "big model"))
    with pytest.raises(RemoteRefError, match="openai\\+http://127.0.0.1:8080/v1#model-name"):
        parse_ref("openai+ftp://h/v1#m")


def sse(*chunks: dict[str, Any], done: bool = True) -> str:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + ("data: [DONE]\n\n" if done else "")


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


class Server:
    """A scripted server that records each request."""

    def __init__(self, body: str, models: Any = None, status: int = 200) -> None:
        self.body, self.status = body, status
        self.models = models if models is not None else {"data": [{"id": "m", "owned_by": "llamacpp"}]}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/models"):
            return httpx.Response(self.status, json=self.models)
        return httpx.Response(200, text=self.body, headers={"content-type": "text/event-stream"})


def generate(backend: OpenAIRemoteBackend, request: GenerationRequest, control: Control | None = None) -> list:
    control = control or Control()
    backend.load(REF, LoadOptions(), control)
    return list(backend.generate(request, control))


CHAT = GenerationRequest("", Sampling(), 9, messages=(Message("system", "a"), Message("system", "b"), Message("user", "hi")))


def test_key_precedence_bearer_header_and_chat_body() -> None:
    server = Server(sse(delta("Hel"), delta("lo", "stop")))
    backend = OpenAIRemoteBackend("from-cli", transport=httpx.MockTransport(server), environ={"OPENAI_API_KEY": "env"})
    control = Control()
    control.give_secret(key_name("http://server:8000/v1"), "from-page")
    out = generate(backend, CHAT, control)
    assert [o.text for o in out if isinstance(o, Piece)] == ["Hel", "lo"]
    assert out[-1].finish_reason == "eos" and out[-1].text == "Hello"
    post = server.requests[-1]
    assert post.headers["authorization"] == "Bearer from-page" and post.url.path == "/v1/chat/completions"
    assert json.loads(post.content)["messages"] == [{"role": "system", "content": "a\n\nb"}, {"role": "user", "content": "hi"}]
    assert OpenAIRemoteBackend(transport=httpx.MockTransport(server), environ={"OPENAI_API_KEY": "env"}).api_key("x") == "env"
    assert "from-page" not in repr(out)


def test_forced_format_uses_completions_and_a_cut_stream_keeps_its_text() -> None:
    chunks = [{"choices": [{"index": 0, "text": t}]} for t in ("par", "tial")]
    server = Server(sse(*chunks, done=False))
    backend = OpenAIRemoteBackend(transport=httpx.MockTransport(server), environ={})
    done = generate(backend, GenerationRequest("<|im_start|>user", Sampling(tfs_z=0.5, temperature=1, top_p=0.5,
                                                                                 min_p=0, typical_p=1), 1))[-1]
    assert isinstance(done, Generated) and done.text == "partial" and done.finish_reason == "cut"
    assert json.loads(server.requests[-1].content)["prompt"] == "<|im_start|>user"
    assert "tfs_z=0.5" in done.notices[0] and "broke off after 2 tokens" in done.notices[1]
    again = generate(backend, GenerationRequest("p", Sampling(tfs_z=0.5, temperature=1, top_p=0.5, min_p=0, typical_p=1), 1))
    assert not any("tfs_z" in n for n in again[-1].notices)  # told once per model


def test_load_errors_name_the_cause() -> None:
    def backend(server: Server) -> OpenAIRemoteBackend:
        return OpenAIRemoteBackend(transport=httpx.MockTransport(server), environ={})

    with pytest.raises(ModelUnknown, match="does not serve the model 'm'; it serves: other"):
        backend(Server("", {"data": [{"id": "other"}]})).load(REF, LoadOptions(), Control())
    with pytest.raises(NotAuthorized, match="SAMANTHA_API_KEY"):
        backend(Server("", {"error": {"message": "bad key"}}, status=401)).load(REF, LoadOptions(), Control())
    with pytest.raises(WrongURL, match="usually ends in /v1"):
        backend(Server("", {"detail": "Not Found"}, status=404)).load(REF, LoadOptions(), Control())


def test_remote_entries_may_stand_in_the_link_field() -> None:
    from samantha.ui.inputs import InputProblem, chain_models

    hub = "https://huggingface.co/a/b/resolve/main/c.gguf"
    assert chain_models({"links": f"{REF}\n{hub}"}) == ((REF, hub), hub)  # only the hub link is downloaded
    assert chain_models({"links": REF}) == ((REF,), "")
    with pytest.raises(InputProblem, match="Line 2: 'nonsense'"):
        chain_models({"links": f"{REF}\nnonsense"})


def test_stop_while_a_silent_server_is_asked_for_its_models() -> None:
    import threading

    from samantha.backends.base import Cancelled

    entered, release = threading.Event(), threading.Event()

    def silent(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(30)
        return httpx.Response(200, json={"data": [{"id": "m"}]})

    backend = OpenAIRemoteBackend(transport=httpx.MockTransport(silent), environ={})
    control = Control()
    threading.Thread(target=lambda: entered.wait(30) and control.stop_all(), daemon=True).start()
    try:
        with pytest.raises(Cancelled, match="stopped while asking http://server:8000/v1"):
            backend.load(REF, LoadOptions(), control)
    finally:
        release.set()


def test_a_remote_entry_with_another_protocol_is_named_before_the_run() -> None:
    from samantha.remote_cli import RemoteInputError, check_remote_models

    with pytest.raises(RemoteInputError, match=r"openai\+ftp://x#m: a remote model is openai\+http://"):
        check_remote_models(["a.gguf", "openai+ftp://x#m"])
    check_remote_models(["a.gguf", "openai+http://127.0.0.1:8080/v1#m"])  # a good one passes


@pytest.mark.parametrize(("ref", "fragment"), [
    ("openai+http://[::1/v1#m", "is not a server address"),
    ("openai+http://user:sk-secret@127.0.0.1:8080/v1#m", "must not hold a user name or key"),
])
def test_addresses_that_cannot_be_used_are_named(ref: str, fragment: str) -> None:
    with pytest.raises(RemoteRefError, match=fragment) as caught:
        parse_ref(ref)
    assert "sk-secret" not in str(caught.value)  # the key is not repeated in the message


class PlainServer(Server):
    """A server that answers the streamed request with another content type."""

    def __init__(self, body: str, content_type: str) -> None:
        super().__init__(body)
        self.content_type = content_type

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return super().__call__(request)
        self.requests.append(request)
        return httpx.Response(200, text=self.body, headers={"content-type": self.content_type})


def test_a_server_that_will_not_stream_still_gives_its_answer() -> None:
    whole = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "All at once."},
                          "finish_reason": "stop"}], "usage": {"prompt_tokens": "x", "completion_tokens": 3}}
    server = PlainServer(json.dumps(whole), "application/json")
    done = generate(OpenAIRemoteBackend(transport=httpx.MockTransport(server), environ={}), CHAT)[-1]
    assert isinstance(done, Generated) and done.text == "All at once." and done.finish_reason == "eos"
    assert done.prompt_tokens == 0 and done.answer_tokens == 3  # a usage number that is not a number is ignored


def test_a_web_page_instead_of_an_answer_names_the_address() -> None:
    server = PlainServer("<html><body>Please sign in</body></html>", "text/html; charset=utf-8")
    with pytest.raises(WrongURL, match="answered with a web page.*ends in /v1"):
        generate(OpenAIRemoteBackend(transport=httpx.MockTransport(server), environ={}), CHAT)


def test_a_redirect_and_an_html_error_page_read_as_words() -> None:
    from samantha.backends.openai_errors import for_status

    moved = httpx.Response(301, headers={"location": "https://server:8000/v1/models"},
                           request=httpx.Request("GET", "http://server:8000/v1/models"))
    error = for_status(moved, "http://server:8000/v1", "/models")
    assert isinstance(error, WrongURL) and "to https://server:8000/v1/models" in str(error)
    page = httpx.Response(502, text="<html><head><style>p{}</style></head><body><h1>Bad Gateway</h1>"
                                    "<p>nginx &amp; co</p></body></html>")
    message = str(for_status(page, "http://server:8000/v1", "/chat/completions"))
    assert "Bad Gateway nginx & co" in message and "<" not in message

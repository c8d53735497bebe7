"""Every form of chain entry the README documents, parsed by the one parser, and the router's route table."""

from __future__ import annotations

from pathlib import Path

import pytest

from samantha.backends.base import BackendError, Control, LoadOptions
from samantha.backends.router import RouterBackend
from samantha.backends.scripted import ScriptedBackend
from samantha.chain import model_name, run_chain
from samantha.events import AnswerFinished, ChainFailed
from samantha.hub.chain_models import is_hub_link
from samantha.model_folders import ModelListError, resolve_models
from samantha.model_ref import ModelRefError, RefKind, display_name, kind_of, parse_model_ref
from samantha.settings import ChainSettings
from samantha.ui.inputs import InputProblem, link_members

GOOD_REMOTE = "openai+http://127.0.0.1:8080/v1#model-name"


@pytest.fixture(autouse=True)
def public_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)


@pytest.mark.parametrize(("text", "path", "name"), [
    ("a.gguf", "a.gguf", "a.gguf"),
    ("  sub/a.gguf  ", "sub/a.gguf", "a.gguf"),
    ("/models/a.gguf", "/models/a.gguf", "a.gguf"),
    ("~/models/a.gguf", "~/models/a.gguf", "a.gguf"),
    ("C:\\models\\a.gguf", "C:\\models\\a.gguf", "a.gguf"),
    ("c:/models/a.gguf", "c:/models/a.gguf", "a.gguf"),
    ("D:a.gguf", "D:a.gguf", "a.gguf"),
    ("\\\\server\\share\\a.gguf", "\\\\server\\share\\a.gguf", "a.gguf"),
    ("./owner/model:v2.gguf", "./owner/model:v2.gguf", "model:v2.gguf"),  # ./ makes a look-alike a path
    ("./a:b.gguf", "./a:b.gguf", "a:b.gguf"),
    ("../models/a.gguf", "../models/a.gguf", "a.gguf"),
    ("/x/o/m:f.gguf", "/x/o/m:f.gguf", "m:f.gguf"),
    ("owner/model", "owner/model", "model"),  # a repo without a file is no hub link: a (missing) relative file
])
def test_files_absolute_relative_and_windows(text: str, path: str, name: str) -> None:
    ref = parse_model_ref(text)
    assert (ref.kind, ref.route, ref.path, ref.name) == (RefKind.FILE, "file", path, name)
    assert ref.link is None and ref.remote is None


@pytest.mark.parametrize(("text", "repo", "revision", "filename"), [
    ("https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/"
     "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf?download=true",
     "bartowski/Qwen2.5-1.5B-Instruct-GGUF", "main", "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"),
    ("https://huggingface.co/o/m/blob/v1.0/sub/f.gguf", "o/m", "v1.0", "sub/f.gguf"),
    ("HTTPS://HuggingFace.co/o/m/resolve/main/f.gguf", "o/m", "main", "f.gguf"),
    ("https://hf.co/o/m/resolve/main/f.gguf", "o/m", "main", "f.gguf"),
    ("hf.co/o/m/resolve/main/f.gguf", "o/m", "main", "f.gguf"),
    ("huggingface.co/o/m/resolve/main/f.gguf?download=true", "o/m", "main", "f.gguf"),
    ("o/m:f.gguf", "o/m", "main", "f.gguf"),
    ("o/m@dev:sub/f.gguf", "o/m", "dev", "sub/f.gguf"),
])
def test_hub_links_in_every_documented_form(text: str, repo: str, revision: str, filename: str) -> None:
    ref = parse_model_ref(text)
    assert ref.kind is RefKind.HUB and ref.route == "hub" and ref.link is not None
    assert (ref.link.repo, ref.link.revision, ref.link.filename) == (repo, revision, filename)
    assert ref.name == filename.rsplit("/", 1)[-1] and ref.path == "" and ref.remote is None


def test_a_mirror_or_test_hub_is_a_hub_only_when_it_is_the_endpoint() -> None:
    link = "http://127.0.0.1:5000/o/m/resolve/main/f.gguf"
    assert parse_model_ref(link, endpoint="http://127.0.0.1:5000").kind is RefKind.HUB
    with pytest.raises(ModelRefError, match="is not a Hugging Face link.*openai\\+http://"):
        parse_model_ref(link)


@pytest.mark.parametrize(("text", "base", "model"), [
    (GOOD_REMOTE, "http://127.0.0.1:8080/v1", "model-name"),
    ("openai+https://api.example.com/v1/#big model", "https://api.example.com/v1", "big model"),
    ("OPENAI+HTTP://Host:8000/v1#m", "http://Host:8000/v1", "m"),
    ("openai+http://[::1]:8080/v1", "http://[::1]:8080/v1", ""),
])
def test_remote_models(text: str, base: str, model: str) -> None:
    ref = parse_model_ref(text)
    assert ref.kind is RefKind.REMOTE and ref.route == "openai" and ref.api == "openai"
    assert ref.remote is not None and (ref.remote.base_url, ref.remote.model) == (base, model)
    assert ref.link is None and ref.path == ""


@pytest.mark.parametrize(("text", "says", "kind"), [
    ("", "empty model entry", None),
    ("ftp://host/a.gguf", "does not read ftp:// entries", None),
    ("file:///models/a.gguf", "does not read file:// entries", None),
    ("openai+ftp://host/v1#m", "other protocols are not supported", RefKind.REMOTE),
    ("ollama+http://host:11434/v1#m", "no backend speaks 'ollama'", RefKind.REMOTE),
    ("openai+http://[::1/v1#m", "is not a server address", RefKind.REMOTE),
    ("http://127.0.0.1:8080/v1#m", "is not a Hugging Face link", RefKind.HUB),
    ("https://huggingface.co/o/m", "is a repository page, not a file", RefKind.HUB),
    ("o/m:notes.txt", "is not a GGUF file", RefKind.HUB),
])
def test_malformed_entries_say_what_is_wrong_and_show_a_good_one(text: str, says: str, kind: RefKind | None) -> None:
    with pytest.raises(ModelRefError, match=says) as caught:
        parse_model_ref(text)
    message = str(caught.value)
    assert caught.value.kind is kind
    assert any(good in message for good in (GOOD_REMOTE, "http://127.0.0.1:8080/v1", "https://huggingface.co/<owner>/<model>", ".gguf"))
    assert kind_of(text) is None


def test_a_key_in_a_server_address_is_refused_without_repeating_it() -> None:
    with pytest.raises(ModelRefError, match="must not hold a user name or key") as caught:
        parse_model_ref("openai+http://user:sk-secret@127.0.0.1:8080/v1#m")
    assert "sk-secret" not in str(caught.value)


def test_entries_the_old_string_tests_disagreed_on_are_one_kind_everywhere() -> None:
    # The hub downloader called C:\models\a.gguf a link to repo "C"; the model list called it a file.
    assert not is_hub_link("C:\\models\\a.gguf")
    # The model list and the command line called ftp:// entries remote models; the router, a local file.
    with pytest.raises(ModelListError, match="does not read ftp://"):
        resolve_models(["ftp://host/a.gguf"], "/models")
    # The downloader took hf.co/... as a link; the model list looked for a file of that name.
    assert resolve_models(["hf.co/o/m/resolve/main/f.gguf"], "/models") == ("hf.co/o/m/resolve/main/f.gguf",)


def test_the_model_list_resolves_files_and_passes_links_and_remote_models(tmp_path: Path) -> None:
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    entries = ["a.gguf", "o/m:f.gguf", GOOD_REMOTE]
    assert resolve_models(entries, tmp_path) == (str(tmp_path / "a.gguf"), "o/m:f.gguf", GOOD_REMOTE)


def test_a_malformed_remote_line_in_the_link_field_is_named_with_its_line() -> None:
    assert link_members(f"o/m:f.gguf\n{GOOD_REMOTE}") == ("o/m:f.gguf", GOOD_REMOTE)
    with pytest.raises(InputProblem, match="Line 2: .*is not a server address"):
        link_members("o/m:f.gguf\nopenai+http://[::1/v1#m")


def test_display_names() -> None:
    assert model_name(GOOD_REMOTE) == "model-name"
    assert model_name("https://huggingface.co/o/m/resolve/main/sub/f.gguf?download=true") == "f.gguf"
    assert model_name("/models/a.gguf") == "a.gguf"
    assert display_name("ollama+http://host/v1#llama3") == "llama3"  # any API style has a name on screen
    assert display_name("ftp://host/x.gguf?y") == "x.gguf"


def test_a_new_backend_is_one_route_table_entry() -> None:
    local = ScriptedBackend(respond=lambda model, prompt: "from the file")
    echo = ScriptedBackend(respond=lambda model, prompt: "from the echo server")
    router = RouterBackend(routes={"file": lambda: local, "echo": lambda: echo})
    settings = ChainSettings(models=("/models/a.gguf", "echo+http://127.0.0.1:9/v1#parrot"), prompt="hello")
    events = list(run_chain(settings, router, Control()))
    assert not [e for e in events if isinstance(e, ChainFailed)]
    answers = [(e.record.model, e.record.answer) for e in events if isinstance(e, AnswerFinished)]
    assert answers == [("/models/a.gguf", "from the file"), ("echo+http://127.0.0.1:9/v1#parrot", "from the echo server")]
    with pytest.raises(BackendError, match="no backend speaks 'echo'"):  # without the entry it is unknown
        RouterBackend(local=lambda: local).load("echo+http://127.0.0.1:9/v1#parrot", LoadOptions(), Control())


def test_the_router_names_entries_it_cannot_run() -> None:
    router = RouterBackend(local=ScriptedBackend)
    with pytest.raises(BackendError, match="downloaded before it loads"):
        router.load("o/m:f.gguf", LoadOptions(), Control())
    with pytest.raises(BackendError, match="does not read ftp://"):
        router.load("ftp://host/a.gguf", LoadOptions(), Control())


def test_the_command_line_names_a_malformed_entry_before_the_run() -> None:
    from samantha.remote_cli import RemoteInputError, check_remote_models

    check_remote_models(["a.gguf", "o/m:f.gguf", GOOD_REMOTE])
    with pytest.raises(RemoteInputError, match="does not read ftp://"):  # it used to reach the router as a file
        check_remote_models(["a.gguf", "ftp://host/a.gguf"])

"""Reading pasted hub links and file names: every accepted form, and a clear error for the rest."""

from __future__ import annotations

import pytest

from samantha.hub import (
    DEFAULT_FIRST_RUN_LINKS,
    HubError,
    ModelLink,
    RepoRef,
    parse_link,
    parse_links,
    parse_repo_link,
    quant_name,
    split_part,
)
from samantha.hub.names import resolve_url, split_part_path


@pytest.fixture(autouse=True)
def _public_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)


RESOLVE = "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf?download=true"


def test_resolve_link_with_download_query() -> None:
    link = parse_link(RESOLVE)
    assert link == ModelLink(
        repo="bartowski/Qwen2.5-1.5B-Instruct-GGUF",
        revision="main",
        filename="Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
        text=RESOLVE,
    )
    assert link.name == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    assert link.quant == "Q4_K_M"
    assert link.url == RESOLVE


def test_blob_link_with_folder_and_revision() -> None:
    link = parse_link("https://huggingface.co/owner/model-GGUF/blob/v1.0/Q8_0/model-Q8_0.gguf")
    assert (link.repo, link.revision, link.filename, link.name) == (
        "owner/model-GGUF",
        "v1.0",
        "Q8_0/model-Q8_0.gguf",
        "model-Q8_0.gguf",
    )
    assert link.url == "https://huggingface.co/owner/model-GGUF/resolve/v1.0/Q8_0/model-Q8_0.gguf?download=true"


def test_short_forms_and_hosts() -> None:
    assert parse_link("owner/model:sub/model-f16.gguf").filename == "sub/model-f16.gguf"
    pinned = parse_link("owner/model@refs%2Fpr%2F3:model.gguf")
    assert pinned.revision == "refs/pr/3"
    assert "resolve/refs%2Fpr%2F3/" in pinned.url
    assert parse_link("hf.co/owner/model/resolve/main/m.gguf").repo == "owner/model"
    assert parse_link("huggingface.co/owner/model/resolve/main/m.gguf").repo == "owner/model"
    assert parse_link("https://www.huggingface.co/owner/model/resolve/main/m.GGUF").filename == "m.GGUF"
    assert parse_link("https://huggingface.co/gpt2/resolve/main/m.gguf").repo == "gpt2"


def test_encoded_file_names_are_decoded() -> None:
    link = parse_link("https://huggingface.co/o/m/resolve/main/my%20model-Q4_0.gguf")
    assert link.filename == "my model-Q4_0.gguf"
    assert link.url.endswith("/my%20model-Q4_0.gguf?download=true")


def test_parse_links_skips_comments_blanks_and_repeats() -> None:
    text = (
        "--- my favourite models\n"
        f"{RESOLVE}\n"
        "\n"
        "   \n"
        "  --- https://huggingface.co/o/m/resolve/main/ignored.gguf\n"
        "o/m:second.gguf\n"
        f"{RESOLVE}\n"
    )
    links = parse_links(text)
    assert [link.filename for link in links] == ["Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", "second.gguf"]
    assert parse_links("") == []
    assert parse_links("--- only a comment\n\n") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("https://huggingface.co/o/m/resolve/main/model.safetensors", "not a GGUF file"),
        ("https://huggingface.co/o/m/blob/main/README.md", "not a GGUF file"),
        ("https://example.com/o/m/resolve/main/m.gguf", "not a Hugging Face link"),
        ("ftp://huggingface.co/o/m/resolve/main/m.gguf", "not a web link"),
        ("https://huggingface.co/o/m", "repository page, not a file"),
        ("https://huggingface.co/o/m/tree/main", "repository page, not a file"),
        ("o/m", "names a repository, not a file"),
        ("just some words", "not a Hugging Face link"),
        ("https://huggingface.co/datasets/o/m/resolve/main/m.gguf", "not to a model repository"),
        ("https://huggingface.co/o/m/resolve/main", "names no file"),
        ("o--bad/m:m.gguf", "does not name a model repository"),
        ("o/m:../../etc/m.gguf", "'..'"),
    ],
)
def test_bad_lines_are_named(line: str, expected: str) -> None:
    with pytest.raises(HubError) as caught:
        parse_links(f"--- header\n{RESOLVE}\n{line}\n")
    assert caught.value.kind == "bad_link"
    assert caught.value.message.startswith("Line 3: ")
    assert expected in caught.value.message


def test_all_bad_lines_reported_together() -> None:
    with pytest.raises(HubError) as caught:
        parse_links("o/m:a.bin\n\no/m:b.gguf\nnope\n")
    lines = caught.value.message.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Line 1", "Line 4"]


def test_links_of_the_configured_endpoint_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example")
    assert parse_link("https://hf-mirror.example/o/m/resolve/main/m.gguf").repo == "o/m"
    assert parse_link("http://127.0.0.1:9/o/m/resolve/main/m.gguf", endpoint="http://127.0.0.1:9").repo == "o/m"
    monkeypatch.delenv("HF_ENDPOINT")
    with pytest.raises(HubError, match="not a Hugging Face link"):
        parse_link("https://hf-mirror.example/o/m/resolve/main/m.gguf")


def test_default_first_run_links_name_one_small_instruct_model() -> None:
    links = parse_links(DEFAULT_FIRST_RUN_LINKS)
    assert len(links) == 1
    assert links[0].quant == "Q4_K_M"
    assert "Instruct" in links[0].filename
    assert links[0].url.startswith("https://huggingface.co/")
    alternatives = [line[3:].strip() for line in DEFAULT_FIRST_RUN_LINKS.splitlines() if line.startswith("--- https")]
    assert alternatives and all(parse_link(line).quant == "Q4_K_M" for line in alternatives)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("owner/model", RepoRef("owner/model")),
        ("  https://huggingface.co/owner/model/  ", RepoRef("owner/model")),
        ("https://huggingface.co/owner/model?library=gguf", RepoRef("owner/model")),
        ("huggingface.co/owner/model", RepoRef("owner/model")),
        ("https://huggingface.co/owner/model/tree/main", RepoRef("owner/model")),
        ("https://huggingface.co/owner/model/tree/v2/Q4_K_M/parts", RepoRef("owner/model", "v2", "Q4_K_M/parts")),
        ("https://huggingface.co/owner/model/resolve/dev/m.gguf?download=true", RepoRef("owner/model", "dev")),
        ("owner/model:m.gguf", RepoRef("owner/model")),
        ("owner/model@v3:m.gguf", RepoRef("owner/model", "v3")),
    ],
)
def test_repo_link_forms(text: str, expected: RepoRef) -> None:
    assert parse_repo_link(text) == expected


@pytest.mark.parametrize(
    "text", ["", "https://example.com/owner/model", "https://huggingface.co/datasets/o/m", "a/b/c/d", "bad--name/x"]
)
def test_bad_repo_links(text: str) -> None:
    with pytest.raises(HubError) as caught:
        parse_repo_link(text)
    assert caught.value.kind == "bad_link"


@pytest.mark.parametrize(
    ("path", "quant"),
    [
        ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("qwen2.5-0.5b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("mistral-7b-instruct-v0.2.Q8_0.gguf", "Q8_0"),
        ("model-IQ2_XS.gguf", "IQ2_XS"),
        ("model-IQ3_XXS.gguf", "IQ3_XXS"),
        ("model-IQ4_NL.gguf", "IQ4_NL"),
        ("ggml-model-f16.gguf", "F16"),
        ("model-fp16.gguf", "F16"),
        ("model-BF16.gguf", "BF16"),
        ("model-f32.gguf", "F32"),
        ("model-Q4_0_4_8.gguf", "Q4_0_4_8"),
        ("model-Q6_K_L.gguf", "Q6_K_L"),
        ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("model-TQ1_0.gguf", "TQ1_0"),
        ("model_q5_k_s.gguf", "Q5_K_S"),
        ("Q4_K_M/Model-Q4_K_M-00001-of-00003.gguf", "Q4_K_M"),
        ("BF16/Model-00002-of-00002.gguf", "BF16"),
        ("Qwen2-7B-Instruct.gguf", None),
        ("Q3-Coder.gguf", None),
    ],
)
def test_quant_names(path: str, quant: str | None) -> None:
    assert quant_name(path) == quant


def test_split_parts() -> None:
    assert split_part("Model-Q8_0-00002-of-00003.gguf") == (2, 3)
    assert split_part("Model-Q8_0.gguf") is None
    assert split_part("Model-00004-of-00003.gguf") is None
    assert split_part_path("dir/Model-Q8_0-00002-of-00003.gguf", 1) == "dir/Model-Q8_0-00001-of-00003.gguf"
    link = parse_link("o/m:dir/Model-Q8_0-00001-of-00002.gguf")
    assert link.split == (1, 2)
    assert link.part(2).filename == "dir/Model-Q8_0-00002-of-00002.gguf"
    with pytest.raises(ValueError, match="not part of a split"):
        split_part_path("Model.gguf", 1)


def test_resolve_url_quotes_what_it_must() -> None:
    assert resolve_url("o/m", "refs/pr/1", "a b/c.gguf") == (
        "https://huggingface.co/o/m/resolve/refs%2Fpr%2F1/a%20b/c.gguf?download=true"
    )

"""The chain through the real llama.cpp worker-process backend, on generated GGUF files."""

from __future__ import annotations

import os
import signal
import threading
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

from samantha.backends import llama_process
from samantha.backends.base import Control, GenerationRequest, LoadOptions, PromptTooLong
from samantha.backends.llama_process import LlamaProcessBackend
from samantha.chain import run_chain
from samantha.events import AnswerFinished, ChainFailed, ChainFinished, ModelLoaded, Notice, Token
from samantha.settings import ChainSettings, Sampling
from samantha.tinymodel import grammar_for_text, write_tiny_gguf
from tests.support.hung_worker import HANGS_ON, hangs_on_one_prompt

SMALL = Sampling(n_ctx=512, max_tokens=40)

# Older ggml could leave its threads waiting for each other for good when Stop's abort landed at an unlucky
# moment (fixed in ggml on 17 January 2025; llama-cpp-python 0.3.8 is the first release whose llama.cpp surely
# has the fix). Measured on 0.3.2 with the CPUs busy: about 1 Stop in 25 hung. The app's stop net ends such a worker.
ABORT_CAN_HANG = Version(version("llama-cpp-python")) < Version("0.3.8")


def run(settings: ChainSettings, backend, control: Control | None = None, **kwargs) -> list:
    return list(run_chain(settings, backend, control or Control(), **kwargs))


def records(events) -> list:
    return [e.record for e in events if isinstance(e, AnswerFinished)]


def test_greedy_answer_streams_and_is_reproducible(tiny_model: Path, llama_backend: LlamaProcessBackend) -> None:
    settings = ChainSettings(models=(str(tiny_model),), prompt="Hello there", sampling=SMALL)
    first = run(settings, llama_backend)
    [record] = records(first)
    streamed = "".join(e.text for e in first if isinstance(e, Token))
    assert streamed == record.answer and record.answer_tokens > 0
    assert record.prompt.startswith("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n")
    assert record.settings["temperature"] == 0.0
    again = records(run(settings, LlamaProcessBackend()))[0]
    assert again.answer == record.answer


def test_grammar_forces_exact_text_through_the_real_engine(tiny_model: Path, llama_backend) -> None:
    text = "Olá, coração! ```python\nprint(1)\n```"
    events = run(ChainSettings(models=(str(tiny_model),), prompt="x", sampling=SMALL.with_values({"max_tokens": 200})),
                 llama_backend, grammar=grammar_for_text(text))
    [record] = records(events)
    assert record.answer == text and record.finish_reason == "eos"


def test_feedback_carries_the_exact_answer_forward(tiny_model: Path, llama_backend) -> None:
    answer = "Forty two, said the model."
    settings = ChainSettings(models=(str(tiny_model),), prompt="Go on", previous="typed previous", responses=3,
                             feedback=True, sampling=SMALL)
    recs = records(run(settings, llama_backend, grammar=grammar_for_text(answer)))
    assert "<|im_start|>assistant\ntyped previous<|im_end|>" in recs[0].prompt
    for rec in recs[1:]:
        assert f"<|im_start|>assistant\n{answer}<|im_end|>\n<|im_start|>user\nGo on<|im_end|>" in rec.prompt
        assert "typed previous" not in rec.prompt


def test_cumulative_feedback_accumulates_exact_text(tiny_model: Path, llama_backend) -> None:
    answer = "Step."
    settings = ChainSettings(models=(str(tiny_model),), prompt="More", previous="Start", responses=3,
                             feedback=True, cumulative=True, sampling=SMALL)
    recs = records(run(settings, llama_backend, grammar=grammar_for_text(answer)))
    assert "<|im_start|>assistant\nStart\n\nStep.\n\nStep.<|im_end|>" in recs[2].prompt


def test_final_item_receives_all_answers(tiny_model: Path, llama_backend) -> None:
    answer = "Sentence."
    settings = ChainSettings(models=(str(tiny_model),), prompt="love\nlife\n[[Summarise:]]", sampling=SMALL)
    recs = records(run(settings, llama_backend, grammar=grammar_for_text(answer)))
    assert recs[2].item_text == "Summarise:\n\nSentence.\n\nSentence."
    assert "<|im_start|>user\nSummarise:\n\nSentence.\n\nSentence.<|im_end|>" in recs[2].prompt


def test_single_response_per_model_pairs_models_and_items(tiny_model: Path, tiny_model_b: Path, llama_backend) -> None:
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model_b)), prompt="first\nsecond",
                             single=True, responses=2, loops=2, sampling=SMALL)
    recs = records(run(settings, llama_backend))
    # Responses repeat each pair and loops repeat the single pass: nothing asked for is dropped.
    assert [(Path(r.model).name, r.item_number, r.loop, r.round) for r in recs] == [
        (name, item, loop, round_) for loop in (1, 2) for name, item in (("tiny-chatml.gguf", 1), ("tiny-other.gguf", 2))
        for round_ in (1, 2)]


def test_same_model_never_reloads_and_n_ctx_change_does(tiny_model: Path, llama_backend) -> None:
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model)), prompt="a\nb", loops=2, sampling=SMALL)
    pids = []
    events = []
    for event in run_chain(settings, llama_backend, Control()):
        events.append(event)
        if isinstance(event, AnswerFinished):
            pids.append(llama_backend.worker_pid)
    assert len(set(pids)) == 1 and len(pids) == 8
    assert sum(isinstance(e, ModelLoaded) for e in events) == 1
    # Still loaded with n_ctx 512 from above: the first item reuses it, the second needs a reload.
    pids = []
    events = []
    for event in run_chain(ChainSettings(models=(str(tiny_model),), prompt="a\n{n_ctx=256} b", sampling=SMALL),
                           llama_backend, Control()):
        events.append(event)
        if isinstance(event, AnswerFinished):
            pids.append(llama_backend.worker_pid)
    assert sum(isinstance(e, ModelLoaded) for e in events) == 1
    assert pids[0] != pids[1]


def test_unload_ends_the_worker_so_memory_returns(tiny_model: Path, llama_backend) -> None:
    run(ChainSettings(models=(str(tiny_model),), prompt="a", sampling=SMALL), llama_backend)
    pid = llama_backend.worker_pid
    assert pid is not None and _alive(pid)
    llama_backend.unload()
    assert llama_backend.worker_pid is None
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False


def test_corrupt_gguf_is_reported_and_the_next_model_answers(broken_model: Path, tiny_model: Path, llama_backend) -> None:
    settings = ChainSettings(models=(str(broken_model), str(tiny_model)), prompt="hi", loops=2, sampling=SMALL)
    events = run(settings, llama_backend)
    errors = [e for e in events if isinstance(e, ChainFailed)]
    assert len(errors) == 1 and "broken.gguf" in errors[0].message
    assert "is truncated" in errors[0].message and "download it again" in errors[0].message  # what to do
    assert [Path(r.model).name for r in records(events)] == ["tiny-chatml.gguf", "tiny-chatml.gguf"]
    assert events[-1] == ChainFinished("done", 2)


def test_not_a_gguf_and_missing_file_are_clear(tmp_path: Path, tiny_model: Path, llama_backend) -> None:
    text_file = tmp_path / "notes.gguf"
    text_file.write_text("these are notes, not a model")
    events = run(ChainSettings(models=(str(text_file), str(tmp_path / "gone.gguf"), str(tiny_model)),
                               prompt="hi", sampling=SMALL), llama_backend)
    messages = [e.message for e in events if isinstance(e, ChainFailed)]
    assert "not a GGUF file" in messages[0] and "not found" in messages[1]
    assert len(records(events)) == 1


@pytest.mark.parametrize(("signal_number", "said"), [(signal.SIGSEGV, "segmentation fault"), (signal.SIGKILL, "killed")])
def test_a_worker_that_dies_mid_answer_keeps_the_partial_answer_and_the_model(
        signal_number: int, said: str, tiny_model: Path, tiny_model_b: Path) -> None:
    """Kill the worker mid-answer (SIGSEGV is what a crashing llama.cpp does; SIGKILL what the system's
    out-of-memory killer does): the words so far are kept, the model is not skipped, the status says so."""
    backend = LlamaProcessBackend()
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model_b)), prompt="hi", loops=2,
                             sampling=Sampling(n_ctx=512, max_tokens=400))
    grammar = "root ::= [a-z]{400}\n"
    events = []
    try:
        for event in run_chain(settings, backend, Control(), grammar=grammar):
            events.append(event)
            if isinstance(event, Token) and len([e for e in events if isinstance(e, Token)]) == 1:
                os.kill(backend.worker_pid, signal_number)  # the first piece comes at once, the rest in batches
    finally:
        backend.close()
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "worker process died" in error.message and f"signal {int(signal_number)}, {said}" in error.message
    assert "while answering with tiny-chatml.gguf" in error.message and "with the grammar" in error.message
    assert "damaged" not in error.message  # nothing says the file is at fault
    answers = records(events)
    assert [Path(r.model).name for r in answers] == ["tiny-chatml.gguf", "tiny-other.gguf"] * 2  # not skipped
    cut = answers[0]
    streamed = "".join(e.text for e in events[:events.index(error)] if isinstance(e, Token))
    assert cut.finish_reason == "crashed" and cut.answer and streamed.startswith(cut.answer)
    assert len(answers[2].answer) == 400  # the restarted worker answers in full
    assert events[-1] == ChainFinished("worker crashed", 4)


def test_a_grammar_that_crashes_llama_cpp_ends_the_chain_without_blaming_the_models(
        tiny_model: Path, tiny_model_b: Path, llama_backend) -> None:
    deep = "root ::= " + "(" * 20_000 + '"a"' + ")" * 20_000 + "\n"
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model_b)), prompt="hi", sampling=SMALL)
    events = run(settings, llama_backend, grammar=deep)
    errors = [e for e in events if isinstance(e, ChainFailed)]
    if not errors and records(events):
        pytest.skip("this llama.cpp (older llama-cpp-python) reads the deep grammar without crashing")
    [error] = errors
    assert "while reading the grammar" in error.message and "nested 20,000 level(s) deep" in error.message
    assert "damaged" not in error.message and "tiny-other" not in error.message
    assert events[-1] == ChainFinished("error", 0)
    fine = run(ChainSettings(models=(str(tiny_model),), prompt="a", sampling=SMALL), llama_backend,
               grammar=grammar_for_text("ok"))
    assert [r.answer for r in records(fine)] == ["ok"]  # the next run starts a new worker


def test_quantised_models_run_by_default(tmp_path: Path, llama_backend) -> None:
    from samantha.tinymodel import quantize_gguf

    f16 = write_tiny_gguf(tmp_path / "small-f16.gguf", n_embd=256, n_layer=2, n_head=4, n_head_kv=4, n_ff=512,
                          dtype="f16", seed=4)
    for qtype in ("Q4_K_M", "Q8_0"):
        quantised = quantize_gguf(f16, tmp_path / f"small-{qtype}.gguf", qtype)
        events = run(ChainSettings(models=(str(quantised),), prompt="hello", sampling=SMALL), llama_backend)
        assert not [e for e in events if isinstance(e, ChainFailed)], qtype
        assert records(events)[0].answer_tokens > 0


@pytest.fixture(scope="module")
def slow_reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model wide enough that reading a few thousand prompt tokens takes seconds."""
    return write_tiny_gguf(tmp_path_factory.mktemp("slow") / "slow.gguf", n_embd=512, n_layer=4, n_head=8,
                           n_head_kv=8, n_ff=1536, context_length=8192, seed=5)


@pytest.mark.parametrize("press", ["stop_all", "stop_next"])
def test_stop_while_reading_a_long_prompt_aborts_the_reading(slow_reader: Path, press: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp's abort callback stops prompt reading mid-way; the model stays loaded.

    The app ends a worker that has not stopped after STOP_GRACE_SECONDS, so Stop always works within a second.
    Here that net is widened so that what is tested is llama.cpp's own abort, not the net: the proof is the count
    of prompt tokens read and the same worker answering again (not a stopwatch). Where the abort can hang
    (ABORT_CAN_HANG), a hung try is ended by the net and the abort is tried again."""
    monkeypatch.setattr(llama_process, "STOP_GRACE_SECONDS", 20.0)
    backend = LlamaProcessBackend()
    prompt = "word " * 800  # about 4,000 tokens: a byte-level vocabulary, seconds of reading
    try:
        for _ in range(3 if ABORT_CAN_HANG else 1):
            backend.load(str(slow_reader), LoadOptions(n_ctx=8192), Control())  # again after a hung try
            pid = backend.worker_pid
            control = Control()
            threading.Timer(0.3, getattr(control, press)).start()
            out = list(backend.generate(GenerationRequest(prompt, Sampling(max_tokens=50), 1, reset=True), control))
            done = out[-1]
            assert done.finish_reason == "cancelled" and done.answer_tokens == 0
            if backend.worker_pid == pid:
                break
        assert backend.worker_pid == pid, "a clean abort, not a kill"
        assert done.extra["evaluated_prompt_tokens"] < done.prompt_tokens, "stopped while reading the prompt"
        again = list(backend.generate(GenerationRequest("short prompt", Sampling(max_tokens=3), 1), Control()))
        assert again[-1].finish_reason in ("length", "eos") and backend.worker_pid == pid
    finally:
        backend.close()


@pytest.mark.parametrize("press", ["stop_all", "stop_next"])
def test_a_worker_deaf_to_stop_is_ended_and_the_chain_goes_on_with_the_model_loaded_again(
        tiny_model: Path, press: str) -> None:
    """The stop net: a worker that does not stop (llama.cpp's threads stuck, as older ggml could leave them on an
    abort) is ended after STOP_GRACE_SECONDS. What was shown is kept; Stop/next goes on to the next answer with
    the model loaded again in a new worker; Stop all ends the chain, and the next run works."""
    backend = LlamaProcessBackend(worker=hangs_on_one_prompt)
    settings = ChainSettings(models=(str(tiny_model),), prompt=f"{HANGS_ON}\nthen answer", sampling=SMALL)
    control = Control()
    events: list = []

    def consume() -> None:
        for event in run_chain(settings, backend, control):
            events.append(event)
            if isinstance(event, Token) and event.text == "partial ":
                getattr(control, press)()  # pressed while the worker hangs

    chain = threading.Thread(target=consume, daemon=True)
    try:
        chain.start()
        while backend.worker_pid is None and chain.is_alive():
            time.sleep(0.01)
        hung_pid = backend.worker_pid
        chain.join(timeout=120)
        assert not chain.is_alive(), "Stop did not end the hung answer"
        assert hung_pid is not None and not _alive(hung_pid), "the hung worker was ended"
        answers = records(events)
        assert answers[0].answer == "partial " and answers[0].finish_reason == "cancelled"
        assert not [e for e in events if isinstance(e, ChainFailed)]
        if press == "stop_next":
            assert len(answers) == 2 and answers[1].answer_tokens > 0, "the next answer came from a new worker"
            assert len([e for e in events if isinstance(e, ModelLoaded)]) == 2
            assert backend.worker_pid not in (None, hung_pid)
            assert events[-1] == ChainFinished("done", 2)
        else:
            assert len(answers) == 1 and events[-1] == ChainFinished("stopped", 1)
            again = run(ChainSettings(models=(str(tiny_model),), prompt="then answer", sampling=SMALL), backend)
            assert records(again)[0].answer_tokens > 0
    finally:
        backend.close()


def test_stop_all_while_loading(tmp_path: Path) -> None:
    """Stop all pressed while the worker is starting and loading the model (not before): the load is
    abandoned, nothing is answered, the worker ends, and the next load works."""
    model = write_tiny_gguf(tmp_path / "load.gguf", n_embd=64, seed=7)
    backend = LlamaProcessBackend()
    control = Control()
    events: list = []
    chain = threading.Thread(target=lambda: events.extend(
        run_chain(ChainSettings(models=(str(model),), prompt="x", sampling=SMALL), backend, control)), daemon=True)
    try:
        chain.start()
        while backend.worker_pid is None and chain.is_alive():
            time.sleep(0.001)  # the worker is spawned and sent the load: it is importing llama.cpp, then loading
        loading_pid = backend.worker_pid
        assert loading_pid is not None, "the load never started"
        control.stop_all()
        chain.join(timeout=60)
        assert not chain.is_alive()
        assert events[-1] == ChainFinished("stopped", 0)
        assert not [e for e in events if isinstance(e, (ModelLoaded, Token, ChainFailed))]  # stopped mid-load
        assert backend.worker_pid is None and not _alive(loading_pid)
        again = run(ChainSettings(models=(str(model),), prompt="x", sampling=SMALL), backend)
        assert len(records(again)) == 1
    finally:
        backend.close()


def test_prompt_that_cannot_fit_gets_a_clear_message(tiny_model: Path, llama_backend) -> None:
    events = run(ChainSettings(models=(str(tiny_model),), prompt="x" * 600 + "\nshort",
                               sampling=Sampling(n_ctx=256, max_tokens=10)), llama_backend)
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "n_ctx" in error.message and "256" in error.message
    assert len(records(events)) == 1
    llama_backend.load(str(tiny_model), LoadOptions(n_ctx=256), Control())
    with pytest.raises(PromptTooLong):
        list(llama_backend.generate(GenerationRequest("y" * 600, Sampling(), 1), Control()))


@pytest.mark.parametrize("sampling", [
    Sampling(n_ctx=512, max_tokens=20, temperature=0.7, seed=3),  # tail-free sampling on (tfs_z 0 < 1)
    Sampling(n_ctx=512, max_tokens=20, temperature=1.0, tfs_z=0.5, top_p=0.9, min_p=0.05, typical_p=0.9, seed=4),
])
def test_a_grammar_works_with_temperature_and_tail_free_sampling(sampling: Sampling, tiny_model: Path,
                                                                 llama_backend) -> None:
    """Tail-free sampling runs after the grammar: run before it, it could leave only tokens the grammar forbids."""
    settings = ChainSettings(models=(str(tiny_model),), prompt="a\nb\nc", sampling=sampling)
    events = run(settings, llama_backend, grammar='root ::= "yes" | "no"\n')
    assert not [e for e in events if isinstance(e, ChainFailed)]
    assert [r.answer for r in records(events)] and all(r.answer in ("yes", "no") for r in records(events))


@pytest.mark.parametrize(("grammar", "reason"), [
    ("root ::= (", "expecting"),
    ('start ::= "a"\n', "root"),
    ("root ::= foo\n", "Undefined rule identifier 'foo'"),  # llama.cpp's own words are passed on
])
def test_a_grammar_that_does_not_parse_ends_the_chain_with_a_clear_message(grammar: str, reason: str,
                                                                           tiny_model: Path, llama_backend) -> None:
    settings = ChainSettings(models=(str(tiny_model), str(tiny_model)), prompt="a\nb", sampling=SMALL)
    events = run(settings, llama_backend, grammar=grammar)
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "grammar does not parse" in error.message and "root" in error.message
    assert reason in error.message, error.message
    assert "crashed" not in error.message  # not blamed on the model file
    assert events[-1] == ChainFinished("error", 0)
    fine = run(ChainSettings(models=(str(tiny_model),), prompt="a", sampling=SMALL), llama_backend,
               grammar=grammar_for_text("ok"))
    assert [r.answer for r in records(fine)] == ["ok"]  # the same worker goes on


def test_n_ctx_that_llama_cpp_rounds_up_is_the_limit_the_user_set(tiny_model: Path, llama_backend) -> None:
    """llama.cpp makes n_ctx 300 a 512-token context, but the prompt must fit the 300 the user asked for."""
    info = llama_backend.load(str(tiny_model), LoadOptions(n_ctx=300), Control())
    assert info.n_ctx == 300
    events = run(ChainSettings(models=(str(tiny_model),), prompt="x" * 400, sampling=Sampling(n_ctx=300, max_tokens=5)),
                 llama_backend)
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "n_ctx" in error.message and "300" in error.message and "broadcast" not in error.message
    grammar = "root ::= [a]{600}\n"
    events = run(ChainSettings(models=(str(tiny_model),), prompt="go", sampling=Sampling(n_ctx=300, max_tokens=0)),
                 llama_backend, grammar=grammar)
    [record] = records(events)
    assert record.prompt_tokens + record.answer_tokens == 300 and record.finish_reason == "context"


def test_max_tokens_zero_fills_the_context_and_n_ctx_zero_uses_the_models(tiny_model: Path, llama_backend) -> None:
    grammar = "root ::= [a]{600}\n"
    events = run(ChainSettings(models=(str(tiny_model),), prompt="go", sampling=Sampling(n_ctx=256, max_tokens=0)),
                 llama_backend, grammar=grammar)
    [record] = records(events)
    assert record.prompt_tokens + record.answer_tokens == 256
    assert record.finish_reason == "context"  # the window filled up: not a max_tokens limit
    info = llama_backend.load(str(tiny_model), LoadOptions(n_ctx=0), Control())
    assert info.n_ctx == 2048 == info.n_ctx_train


def test_stop_strings_cut_the_answer(tiny_model: Path, llama_backend) -> None:
    events = run(ChainSettings(models=(str(tiny_model),), prompt="x",
                               sampling=SMALL.with_values({"stop": ("world",)})),
                 llama_backend, grammar=grammar_for_text("Hello world and more"))
    [record] = records(events)
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert record.answer == "Hello " == streamed and record.finish_reason == "stop"


def test_tfs_z_has_a_real_effect(tiny_model: Path, llama_backend) -> None:
    base = dict(n_ctx=512, max_tokens=30, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0, seed=11)
    greedy = records(run(ChainSettings(models=(str(tiny_model),), prompt="x", sampling=Sampling(n_ctx=512, max_tokens=30)),
                         llama_backend))[0].answer
    free = records(run(ChainSettings(models=(str(tiny_model),), prompt="x", sampling=Sampling(**base, tfs_z=1.0)),
                       llama_backend))[0].answer
    tight = records(run(ChainSettings(models=(str(tiny_model),), prompt="x", sampling=Sampling(**base, tfs_z=0.0)),
                        llama_backend))[0].answer
    assert free != greedy, "sampling at temperature 1 over the whole vocabulary wanders"
    assert tight == greedy, "tfs_z=0 keeps only the most likely token"


def test_seed_makes_stochastic_runs_reproducible(tiny_model: Path, llama_backend) -> None:
    # tfs_z=1 turns tail-free sampling off; the original default 0 would keep only the top token.
    sampling = Sampling(n_ctx=512, max_tokens=20, temperature=1.0, tfs_z=1.0, top_k=0, top_p=1.0, min_p=0.0,
                        typical_p=1.0)

    def answer(seed: int) -> str:
        settings = ChainSettings(models=(str(tiny_model),), prompt="x", seed=seed, sampling=sampling)
        return records(run(settings, llama_backend))[0].answer

    assert answer(5) == answer(5)
    assert answer(5) != answer(6)


def test_prompt_prefix_is_reused_across_steps(tiny_model: Path, llama_backend) -> None:
    system = "You are a careful assistant. " * 20
    sampling = Sampling(n_ctx=2048, max_tokens=20)
    settings = ChainSettings(models=(str(tiny_model),), system=system, prompt="first\nsecond", sampling=sampling)
    recs = records(run(settings, llama_backend))
    assert recs[0].extra["evaluated_prompt_tokens"] >= recs[0].prompt_tokens - 1
    assert recs[1].extra["evaluated_prompt_tokens"] < recs[1].prompt_tokens / 2
    recs = records(run(ChainSettings(models=(str(tiny_model),), system=system, prompt="first\nsecond", reset=True,
                                     sampling=sampling), llama_backend))
    assert recs[1].extra["evaluated_prompt_tokens"] >= recs[1].prompt_tokens - 1


def test_a_model_whose_template_fails_is_reported_and_the_chain_goes_on(tiny_model: Path, model_dir: Path,
                                                                           llama_backend) -> None:
    from samantha.tinymodel import write_tiny_gguf

    broken = write_tiny_gguf(model_dir / "divides-by-zero.gguf", seed=1, name="divzero", chat_template="{{ 1/0 }}")
    events = run(ChainSettings(models=(str(tiny_model), str(broken), str(tiny_model)), prompt="Hi", sampling=SMALL),
                 llama_backend)
    assert [r.model for r in records(events)] == [str(tiny_model), str(tiny_model)]
    [error] = [e for e in events if isinstance(e, ChainFailed)]
    assert "chat template failed" in error.message and "division by zero" in error.message
    assert events[-1] == ChainFinished("done", 2)


def test_template_without_system_role_runs_with_system_folded(gemma_like_model: Path, llama_backend) -> None:
    events = run(ChainSettings(models=(str(gemma_like_model),), system="Be brief.", prompt="Hi", sampling=SMALL),
                 llama_backend)
    [record] = records(events)
    assert record.prompt == "<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"
    assert any(isinstance(e, Notice) and "system" in e.message for e in events)


@pytest.mark.parametrize("fmt, start", [
    ("chatml", "<|im_start|>system\nsys<|im_end|>\n"),
    ("samantha", "<|im_start|>situation\nsys<|im_end|>\n"),
    ("user-assistant", "sys\n\nUSER: hi\nASSISTANT:"),
    ("raw", "sys\n\nhi"),
])
def test_forced_formats_reach_the_model(fmt: str, start: str, tiny_model: Path, llama_backend) -> None:
    events = run(ChainSettings(models=(str(tiny_model),), system="sys", prompt="hi", prompt_format=fmt, sampling=SMALL),
                 llama_backend)
    assert records(events)[0].prompt.startswith(start)


def test_stop_ends_a_worker_that_stopped_answering(tiny_model: Path) -> None:
    """If llama.cpp is stuck (here: the worker is frozen), Stop still returns within a second and the worker goes."""
    backend = LlamaProcessBackend()
    control = Control()
    try:
        backend.load(str(tiny_model), LoadOptions(n_ctx=512), control)
        pid = backend.worker_pid
        request = GenerationRequest("x", Sampling(max_tokens=400), 1, grammar="root ::= [a-z]{400}\n")
        pieces = 0
        started = None
        for out in backend.generate(request, control):  # noqa: B007 - the last `out` is read below
            pieces += 1
            if pieces == 2:
                os.kill(pid, signal.SIGSTOP)
                control.stop_all()
                started = time.perf_counter()
        waited = time.perf_counter() - started
        assert out.finish_reason == "cancelled"
        assert waited < 1.0
        assert backend.worker_pid is None and not _alive(pid)
    finally:
        backend.close()

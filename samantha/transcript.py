"""How events read as text: the banner and stats lines, shared by the CLI and the UI."""

from __future__ import annotations

from samantha.events import AnswerRecord, AnswerStarted, Banner, CodeRan
from samantha.learning import TokenChoice, escape_piece, unlikely_picks, why_text

RULE = "=" * 42
START_RULE = "#" * 42
HEADING_MARK = ">>"
LABEL_CHARS = 60
MIN_RATE_TOKENS = 2  # a rate needs a token generated after the prompt pass


def banner_text(banner: Banner) -> str:
    """The block that opens each (model, round): `1) gemma-2-9b-it-Q4_K_M.gguf  (loop 1, response 1)` between rules.

    Loop and response are named on every banner, loop 1 too, so a banner read alone says where it is.
    """
    title = f"{banner.model_position}) {banner.model_name}  (loop {banner.loop}, response {banner.round})"
    return f"{RULE}\n{title}\n{RULE}\n"


def first_words(text: str, limit: int = LABEL_CHARS) -> str:
    """The start of a prompt item on one line, cut at a word with an ellipsis when long."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut + "\u2026"


def answer_heading(started: AnswerStarted) -> str:
    """The line that opens each answer and says what produced it: model, loop, response round and prompt item.

    Every answer carries its own, so an answer read alone (or after a feedback chain moved on) is never ambiguous.
    """
    label = first_words(started.item_label or started.item_text)
    return (f"{HEADING_MARK} {started.model_position}) {started.model_name} \u00b7 loop {started.loop} \u00b7 "
            f"response {started.round} \u00b7 item {started.item_number}: \u201c{label}\u201d")


def answer_text_head(started: AnswerStarted) -> str:
    """What precedes an answer's text: its heading, then the random-settings header when there is one."""
    lines = [answer_heading(started)] if started.model_name else []
    if started.header:
        lines.append(started.header)
    return "".join(line + "\n" for line in lines)


def prompt_block(prompt: str, template_added: str = "") -> str:
    """The exact prompt the model read, fenced, and a warning when its template added text nobody typed."""
    lines = ["---------- prompt the model saw (after its template, system text and previous response):", prompt]
    if template_added:
        lines.append(f"---------- note: the model's own chat template added text you did not type: "
                     f"\u201c{first_words(template_added, 200)}\u201d (give a system prompt to replace it)")
    lines.append("---------- answer:")
    return "\n".join(lines) + "\n"


def start_separator(seed: int, steps: int) -> str:
    """The line that separates one Start from the previous one in a transcript that keeps both."""
    return f"{START_RULE}\nnew Start: seed {seed}, {steps} answer(s) planned\n{START_RULE}\n"


def rate_text(answer_tokens: int, generation_seconds: float) -> str:
    """Generation speed, timed from the end of prompt reading; none for one token, whose logits came from the
    prompt pass, so its time is a single pick and no rate (it would read as thousands of tokens/s)."""
    if answer_tokens < MIN_RATE_TOKENS or generation_seconds <= 0:
        return "too short for a tokens/s rate"
    return f"{answer_tokens / generation_seconds:.1f} tokens/s"


def stats_line(record: AnswerRecord) -> str:
    """`---------- (161 tokens, 58.4s)` plus prompt tokens, tokens/s and load time."""
    seconds = record.prompt_seconds + record.generation_seconds
    # A remote server that sends no usage leaves the prompt's size unknown, which is not zero tokens.
    prompt = "prompt" if not record.prompt_tokens and "remote" in record.extra else f"prompt {record.prompt_tokens} tokens"
    read = record.extra.get("evaluated_prompt_tokens")
    if isinstance(read, int) and 0 <= read < record.prompt_tokens:
        # Tokens llama.cpp did not read again: the prefix the model's context (kept or restored) still held.
        prompt += f" ({record.prompt_tokens - read} reused)"
    line = (
        f"---------- ({record.answer_tokens} tokens, {seconds:.1f}s) "
        f"{prompt} in {record.prompt_seconds:.2f}s, "
        f"{rate_text(record.answer_tokens, record.generation_seconds)}"
    )
    if record.load_seconds:
        line += f", load {record.load_seconds:.2f}s"
    if record.finish_reason == "cancelled":
        line += ", stopped"
    elif record.finish_reason == "length":
        line += ", max_tokens reached"
    elif record.finish_reason == "context":
        line += ", context full: the prompt and answer filled n_ctx (raise n_ctx for longer answers)"
    elif record.finish_reason == "cut":
        line += ", stream cut off: partial answer"
    elif record.finish_reason == "crashed":
        line += ", the worker died: partial answer"
    return line


def code_run_text(run: CodeRan) -> str:
    """The interpreter's output as the transcript shows it."""
    status = {"timeout": "time limit reached", "stop": "stopped", "close": "closed"}.get(run.ended_by, f"exit {run.exit_code}")
    parts = [f"---------- Python output ({status}, {run.seconds:.1f}s)"]
    if run.stdout.strip():
        parts.append(run.stdout.rstrip())
    if run.stderr.strip():
        parts.append(run.stderr.rstrip())
    parts += [f"({note})" for note in run.notes]
    parts += [f"[figure: {image}]" for image in run.images]
    return "\n".join(parts)


def unlikely_picks_line(record: AnswerRecord) -> str:
    """Learning mode: the picks that were not the most probable token, with their rank."""
    choices = [TokenChoice.from_dict(c) for c in record.extra.get("learning", [])]
    picks = unlikely_picks(choices)
    if not picks:
        return f"unlikely picks: none of {len(choices)} tokens"
    shown = ", ".join(f"#{pos} '{escape_piece(c.text)}' (rank {c.rank}, p={c.probability:.3f}: {why_text(c)})"
                      for pos, c in picks[:20])
    more = f", … {len(picks) - 20} more" if len(picks) > 20 else ""
    return f"unlikely picks ({len(picks)} of {len(choices)} tokens): {shown}{more}"

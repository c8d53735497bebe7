"""The Portuguese catalogue: page text handed to Gradio's I18n, run-time messages matched against msgids with
named placeholders (the variable parts kept), and a missing translation leaving English, never an error."""

from __future__ import annotations

import html
import json

import gradio as gr
from gradio.i18n import I18nData

from samantha.ui.i18n import ENGLISH, LOCALES, PORTUGUESE, catalogue, gradio_key, localize_blocks, t, translate


def test_catalogue_file_is_valid_json_with_no_empty_translation() -> None:
    entries = json.loads((LOCALES / "pt-BR.json").read_text(encoding="utf-8"))
    assert all(isinstance(value, str) and value.strip() for value in entries.values())
    assert "▶ Start" in catalogue(PORTUGUESE) and catalogue(ENGLISH) == {}


def test_a_built_message_keeps_its_variable_parts() -> None:
    assert translate("Loaded tiny-chatml.gguf in 1.2s", PORTUGUESE) == "tiny-chatml.gguf carregado em 1.2s"
    assert translate("Loaded 3 page(s) from Relatório final.pdf", PORTUGUESE) == (
        "3 página(s) carregada(s) de Relatório final.pdf")


def test_a_part_that_is_itself_a_msgid_is_translated_too() -> None:
    assert translate("Stopped: the stop condition held: 2 answer(s), seed 7", PORTUGUESE) == (
        "Parado: a condição de parada valeu: 2 resposta(s), semente 7")
    assert translate("Error: Stopped", PORTUGUESE) == "Erro: Parado"


def test_a_message_of_lines_is_translated_line_by_line() -> None:
    text = "Voice commands are not available:\n- The vosk package is not installed. Run: pip install vosk"
    assert translate(text, PORTUGUESE) == (
        "Os comandos de voz não estão disponíveis:\n- O pacote vosk não está instalado. Rode: pip install vosk")


def test_unknown_text_and_english_stay_as_they_are() -> None:
    assert translate("a model's answer, never translated", PORTUGUESE) == "a model's answer, never translated"
    assert translate("There is no answer yet.", ENGLISH) == "There is no answer yet."
    assert translate("Recipe applied: {title}", PORTUGUESE, title="X") == "Receita aplicada: X"


def test_text_holding_a_closing_brace_gets_a_key_gradio_can_read() -> None:
    # Gradio's browser side ends its translation marker at the first "}".
    assert gradio_key("Models") == "Models"
    assert "}" not in gradio_key("{temperature=0.7} applies to one item")
    marked = t("Models")
    assert isinstance(marked, I18nData) and marked.key == "Models"
    assert t("not in the catalogue") == "not in the catalogue"


def test_localize_blocks_marks_page_text_and_returns_both_languages() -> None:
    with gr.Blocks() as demo:
        button = gr.Button("Show tokens")
        box = gr.Textbox(label="Seed", info="empty = random; the status shows the seed used", placeholder="random")
        name = gr.Textbox(label="tiny-chatml.gguf")
    i18n = localize_blocks(demo)
    assert isinstance(button.value, I18nData) and isinstance(box.label, I18nData) and isinstance(box.info, I18nData)
    assert name.label == "tiny-chatml.gguf"  # a file name is not page text
    assert i18n.translations_dict[PORTUGUESE]["Show tokens"] == "Mostrar tokens"
    assert i18n.translations_dict[ENGLISH]["Seed"] == "Seed"
    again = localize_blocks(demo)  # a second call (a second launch) finds the marked text again
    assert again.translations_dict[PORTUGUESE]["Seed"] == "Semente"


def test_an_error_after_a_file_name_is_translated_as_a_whole() -> None:
    """`{file}: {message}` ends the file name at its colon, so the error after it (itself holding a colon and
    the file name again) matches its own msgid instead of being cut at the last colon."""
    message = ("tiny.gguf: the prompt is 900 tokens but the context window (n_ctx) holds 512: raise n_ctx, shorten "
               "the prompt or turn off cumulative response")
    assert translate(message, PORTUGUESE) == (
        "tiny.gguf: o prompt tem 900 tokens, mas a janela de contexto (n_ctx) comporta 512: aumente o n_ctx, "
        "encurte o prompt ou desligue a resposta cumulativa")


def test_learning_views_speak_the_language_they_are_given() -> None:
    from samantha.learning import Candidate, TokenChoice
    from samantha.ui.learning_view import candidates_html, unlikely_text

    def portuguese(text: str, /, **values: object) -> str:
        return translate(text, PORTUGUESE, **values)

    choice = TokenChoice(token_id=7, text="b", logit=1.0, probability=0.2, rank=2, sampled_top=7,
                         candidates=(Candidate(5, "a", 2.0, 0.8), Candidate(7, "b", 1.0, 0.2)),
                         moved_by="top_k", moved_how="cut")
    table = html.unescape(candidates_html(choice, 1, say=portuguese))
    assert "Passo 1: escolhido 'b' (id 7, posição 2, p=0.200): top_k cortou o token mais provável" in table
    assert "<th>posição no ranking</th>" in table and "<th>texto</th>" in table
    assert unlikely_text([choice], portuguese).startswith("1 escolha(s) improvável(is) em 1 tokens:\n#1 'b' posição 2")
    assert "Step 1: picked 'b'" in html.unescape(candidates_html(choice, 1))  # English by default


def test_a_message_of_sentences_is_translated_sentence_by_sentence() -> None:
    """A worker's death is told in parts (what died and how, why, what happens next): each part is a msgid,
    and a sentence holding a colon is not taken for a file name and an error."""
    message = ("Error: tiny.gguf: the llama.cpp worker process died (signal 9, killed) while loading tiny.gguf. It was "
               "killed from outside: by another program, or by the system when memory ran out. The chain goes on "
               "with the next model.")
    assert translate(message, PORTUGUESE) == (
        "Erro: tiny.gguf: o processo de trabalho do llama.cpp morreu (sinal 9, morto) ao carregar tiny.gguf. Ele foi "
        "encerrado de fora: por outro programa, ou pelo sistema quando a memória acabou. A cadeia continua com o "
        "próximo modelo.")
    assert translate("Runs on v0.3.2 now. Unknown sentence.", PORTUGUESE) == "Runs on v0.3.2 now. Unknown sentence."

"""The llama-cpp-python internals the worker reaches past the public API for, checked before use.

Samantha is pinned to one llama-cpp-python version, but on Windows without a C++ compiler only
versions that someone published a prebuilt CPU wheel for can be installed, and those lag behind
(docs/windows.md names them). So every internal the worker patches or calls by name goes through
this adapter: it looks for what it needs once, uses the older spelling where one exists, and when
a feature has no way to work on the installed version it turns that feature off with a sentence
for the user instead of failing the answer or crashing the worker.

Only the worker process imports llama_cpp; this module takes the imported module as an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PINNED_VERSION = "0.3.36"


def _struct_fields(struct: Any) -> set[str]:
    return {name for name, *_ in getattr(struct, "_fields_", ())}


@dataclass(frozen=True)
class LlamaCompat:
    """What the installed llama-cpp-python offers, and the calls that differ between its versions.

    `repack`: llama_model_params has `use_extra_bufts` (llama.cpp's CPU weight repacking switch).
    `chain_steps`: `Llama._init_sampler` builds a sampler chain that steps can be inserted into
    (tail-free sampling in its old place; learning mode's view of what reaches the final pick).
    `logits_hooks`: logits processors run inside the sampler chain (learning mode's raw candidates).
    """

    llama_cpp: Any
    version: str
    repack: bool
    chain_steps: bool
    logits_hooks: bool

    @classmethod
    def inspect(cls, llama_cpp: Any) -> LlamaCompat:
        lib = llama_cpp.llama_cpp
        llama = getattr(llama_cpp, "Llama", None)
        sampler = getattr(getattr(llama_cpp, "_internals", None), "LlamaSampler", None)
        chain_calls = all(hasattr(llama_cpp, name) for name in
                          ("llama_sampler_chain_n", "llama_sampler_chain_remove", "llama_sampler_chain_add"))
        return cls(
            llama_cpp=llama_cpp,
            version=str(getattr(llama_cpp, "__version__", "unknown")),
            repack="use_extra_bufts" in _struct_fields(getattr(lib, "llama_model_params", None)),
            chain_steps=chain_calls and hasattr(llama, "_init_sampler") and hasattr(sampler, "add_custom"),
            logits_hooks=hasattr(sampler, "add_custom") and hasattr(llama_cpp, "LogitsProcessorList"),
        )

    def unavailable(self, feature: str, needs: str) -> str:
        """The sentence a user reads when `feature` cannot work on this version."""
        return (f"{feature} is not available with the installed llama-cpp-python {self.version} (it has no {needs}); "
                f"Samantha is made for {PINNED_VERSION}: docs/windows.md says how to install it")

    # Loading

    def model_fields(self, repack: bool, progress: Any) -> tuple[dict[str, Any], list[str]]:
        """llama_model_params fields to set around `Llama()`, and notices for the asked ones left out.

        Without the switch llama.cpp does what it always did, so only asking for repacking off
        (--no-repack, or the reload after a crash with it) is something that cannot be done.
        """
        fields: dict[str, Any] = {"progress_callback": progress}
        if self.repack:
            fields["use_extra_bufts"] = repack
            return fields, []
        return fields, ([] if repack else [self.unavailable("turning CPU weight repacking off (--no-repack)",
                                                            "use_extra_bufts")])

    # Vocabulary: llama.cpp moved these from the model to a vocab object (llama-cpp-python 0.3.7).

    def vocab(self, llm: Any) -> Any:
        """The handle the vocabulary calls take: the vocab where it exists, else the model."""
        get_vocab = getattr(self.llama_cpp, "llama_model_get_vocab", None)
        return get_vocab(llm.model) if get_vocab is not None else llm.model

    def adds_bos(self, llm: Any) -> bool:
        call = getattr(self.llama_cpp, "llama_vocab_get_add_bos", None) or self.llama_cpp.llama_add_bos_token
        return bool(call(self.vocab(llm)))

    def is_end_of_generation(self, vocab: Any, token: int) -> bool:
        call = getattr(self.llama_cpp, "llama_vocab_is_eog", None) or self.llama_cpp.llama_token_is_eog
        return bool(call(vocab, token))

    def grammar_sampler(self, vocab: Any, grammar: str) -> Any:
        """llama.cpp's grammar sampler, or NULL when the grammar does not parse (older versions take the model)."""
        return self.llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")

    @staticmethod
    def grammar_failed(made_sampler: bool, log: str) -> bool:
        """Whether llama.cpp rejected a grammar. Older llama.cpp (as in llama-cpp-python 0.3.2) still returns a sampler that ignores every
        rule (the answer would silently ignore the grammar), so its own error words count too."""
        return not made_sampler or re.search(r"error parsing grammar|grammar does not contain", log) is not None

    # The KV cache

    def clear_memory(self, llm: Any) -> None:
        """Forget every cached token (llama.cpp renamed the KV cache calls to "memory" in 2025)."""
        llama_cpp = self.llama_cpp
        get_memory = getattr(llama_cpp, "llama_get_memory", None)
        if get_memory is not None:
            memory = get_memory(llm.ctx)
            if memory is not None:
                llama_cpp.llama_memory_clear(memory, True)
            return
        llama_cpp.llama_kv_cache_clear(llm.ctx)

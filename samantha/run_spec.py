"""RunSpec: everything one run needs, as one value the page, `samantha run` and the history share.

The page builds it from its controls, the CLI from its options, and the history stores it (as JSON) so
`samantha history rerun` runs exactly what ran before. Secrets (API keys, the hub token) are never part of it:
a stored run must not hold them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from samantha.backends.base import LoadOptions
from samantha.settings import ChainSettings, Sampling


@dataclass(frozen=True)
class DownloadOptions:
    """Where the chain's hub links are saved."""

    models_dir: str | None = None  # None: the app's remembered model folder (Downloads until one is chosen)
    keep_files: bool = False  # keep each download under its own name instead of MODEL_FOR_TESTING.gguf


@dataclass(frozen=True)
class CodeOptions:
    """How the Python of the answers runs, when the settings ask for it (`run_code`)."""

    runner: str | None = None  # a venv folder or interpreter; None: the remembered one, else the default folder
    timeout: float = 60.0
    workdir: str | None = None  # None: a new folder, removed when the run ends unless `keep_workdir`
    keep_workdir: bool = False
    hide_view: bool = False  # the page: do not show the code's HTML output


@dataclass(frozen=True)
class LearningOptions:
    """Learning mode's pacing (the token candidates themselves are `ChainSettings.learning`)."""

    pace: float = 0.0  # seconds to wait after each token (the command line's --pace)
    pacing: str = ""  # the page's pacing choice (e.g. "next token"); "" when none was chosen


@dataclass(frozen=True)
class VoiceOptions:
    """Reading answers aloud on the page."""

    read_aloud: bool = False
    sound_cues: bool = False
    voice: str | None = None
    rate: int | None = None


def settings_from_dict(data: dict[str, Any]) -> ChainSettings:
    """ChainSettings.to_dict() read back; keys this version does not know are ignored."""
    sampling_data = dict(data.get("sampling") or {})
    known_sampling = {f.name for f in fields(Sampling)}
    sampling_values = {k: v for k, v in sampling_data.items() if k in known_sampling}
    if "stop" in sampling_values:
        sampling_values["stop"] = tuple(sampling_values["stop"] or ())
    known = {f.name for f in fields(ChainSettings)} - {"sampling"}
    values = {k: v for k, v in data.items() if k in known}
    values["models"] = tuple(values.get("models") or ())
    return ChainSettings(**values, sampling=Sampling(**sampling_values))


def _known(cls: type, data: Any) -> dict[str, Any]:
    """The entries of a stored dict that `cls` still has (a field removed since is dropped, a new one defaults)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in (data or {}).items() if k in names} if isinstance(data, dict) else {}


@dataclass(frozen=True)
class RunSpec:
    """One run: the chain settings (sampling included) and what else it needs to give the same answers again."""

    settings: ChainSettings
    load_options: LoadOptions = field(default_factory=LoadOptions)
    grammar: str | None = None
    links: str = ""  # the page's link field, when the models came from links
    downloads: DownloadOptions = field(default_factory=DownloadOptions)
    code: CodeOptions = field(default_factory=CodeOptions)
    learning: LearningOptions = field(default_factory=LearningOptions)
    voice: VoiceOptions = field(default_factory=VoiceOptions)

    def with_settings(self, **changes: Any) -> RunSpec:
        return replace(self, settings=replace(self.settings, **changes))

    def run_info(self) -> dict[str, Any]:
        """Everything but the settings, as JSON-ready values (the history keeps the settings in their own column,
        which its search and listing read)."""
        data = asdict(self)
        data.pop("settings")
        return data

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings.to_dict(), **self.run_info()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return cls.from_stored(data.get("settings") or {}, data)

    @classmethod
    def from_stored(cls, settings: dict[str, Any] | ChainSettings, run_info: dict[str, Any]) -> RunSpec:
        """A stored run: its settings, and its run information in any form the history has written.

        Sessions stored before RunSpec hold only grammar, load options and links there; the rest takes its
        defaults, which is what those runs used.
        """
        chain = settings if isinstance(settings, ChainSettings) else settings_from_dict(settings)
        return cls(
            settings=chain,
            load_options=LoadOptions(**_known(LoadOptions, run_info.get("load_options"))),
            grammar=run_info.get("grammar") or None,
            links=str(run_info.get("links") or ""),
            downloads=DownloadOptions(**_known(DownloadOptions, run_info.get("downloads"))),
            code=CodeOptions(**_known(CodeOptions, run_info.get("code"))),
            learning=LearningOptions(**_known(LearningOptions, run_info.get("learning"))),
            voice=VoiceOptions(**_known(VoiceOptions, run_info.get("voice"))),
        )

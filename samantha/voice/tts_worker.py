"""Run pyttsx3 in a process of its own: one request as JSON on stdin, one reply as JSON on stdout.

pyttsx3 engines are not thread-safe, eSpeak can be initialised only once per
process, and `runAndWait` can hang or crash on some drivers; a child process
can be killed (Stop) or timed out without harming the app. This file is run
by path and imports only the standard library and pyttsx3.

Requests:  {"op": "info"}
           {"op": "save", "pieces": [str, ...], "path": str,
            "voice": str | null, "rate": int | null, "volume": float | null}
Replies:   {"ok": true, ...} or {"ok": false, "kind": str, "message": str}
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

# Run by path, Python puts this folder first on sys.path, where our module
# names (tts.py, models.py, ...) could shadow installed packages.
_HERE = Path(__file__).resolve().parent
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == _HERE:
    del sys.path[0]

PIECE_TIMEOUT_S = 300.0
# pyttsx3's eSpeak driver speaks at 200 words a minute unless told otherwise (eSpeak's own default is 175).
ESPEAK_RATE = 200


class WorkerFailure(Exception):
    """A failure with a kind the parent maps to an error type."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _engine_hint() -> str:
    if sys.platform.startswith("linux"):
        return "Install eSpeak NG (Debian/Ubuntu: sudo apt-get install espeak-ng libespeak-ng1)."
    if sys.platform == "darwin":
        return "pyttsx3 uses the system voices on macOS; install pyobjc (pip install pyobjc) if it is missing."
    return "pyttsx3 uses the SAPI5 voices on Windows; install comtypes and pywin32 (pip install pyttsx3 pulls them in)."


def _init_engine() -> Any:
    try:
        import pyttsx3
    except ImportError as exc:
        raise WorkerFailure("missing-package", f"pyttsx3 is not installed ({exc}). Run: pip install pyttsx3") from exc
    try:
        engine = pyttsx3.init()
    except Exception as exc:  # drivers raise anything from OSError to RuntimeError
        raise WorkerFailure("engine", f"The speech engine could not start: {exc}. {_engine_hint()}") from exc
    if _driver_name(engine) == "espeak":
        _fix_espeak_synth()
    return engine


def _driver_name(engine: Any) -> str:
    name = getattr(engine, "driver_name", None)
    if name:
        return str(name)
    return "espeak" if sys.platform.startswith("linux") else sys.platform


def _fix_espeak_synth() -> None:
    """Pass eSpeak the real text size; pyttsx3 passes len*10 and eSpeak reads past the buffer.

    With long texts that read crosses into unmapped memory and the process
    dies (pyttsx3 issues #448, #149, #259).
    """
    from pyttsx3.drivers import _espeak

    c_synth = getattr(_espeak, "cSynth", None)
    if c_synth is None:
        return

    def synth(
        text: str | bytes,
        position: int = 0,
        position_type: int = _espeak.POS_CHARACTER,
        end_position: int = 0,
        flags: int = 0,
        user_data: Any = None,
    ) -> int:
        data = text.encode("utf-8") if isinstance(text, str) else text
        return int(c_synth(data, len(data) + 1, position, position_type, end_position, flags, None, user_data))

    _espeak.Synth = synth


def _voices(engine: Any) -> list[dict[str, Any]]:
    found = []
    for voice in engine.getProperty("voices") or []:
        languages = []
        for lang in getattr(voice, "languages", None) or []:
            if isinstance(lang, bytes):
                lang = lang.decode("utf-8", errors="ignore")
            lang = str(lang).strip().lstrip("\x05")
            if lang:
                languages.append(lang)
        found.append(
            {
                "id": str(voice.id),
                "name": str(getattr(voice, "name", None) or voice.id),
                "languages": languages,
                "gender": str(voice.gender) if getattr(voice, "gender", None) else None,
            }
        )
    return found


def _info() -> dict[str, Any]:
    engine = _init_engine()
    rate = ESPEAK_RATE if _driver_name(engine) == "espeak" else engine.getProperty("rate")
    return {
        "ok": True,
        "driver": _driver_name(engine),
        "default_voice": engine.getProperty("voice"),
        "default_rate": int(rate) if rate is not None else None,
        "voices": _voices(engine),
    }


def _read_audio(path: Path) -> tuple[tuple[int, int, int], bytes]:
    """(channels, sample width, rate) and frames of a WAV; AIFF (what macOS writes) is converted first."""
    if not path.exists() or path.stat().st_size == 0:
        raise WorkerFailure("failed", "The speech engine wrote no audio file.")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"FORM":
        converted = path.with_suffix(".converted.wav")
        afconvert = shutil.which("afconvert")
        if afconvert is None:
            raise WorkerFailure("failed", "The speech engine wrote AIFF and 'afconvert' is not available to convert it.")
        subprocess.run([afconvert, "-f", "WAVE", "-d", "LEI16", str(path), str(converted)], check=True)
        path = converted
    elif magic != b"RIFF":
        raise WorkerFailure("failed", f"The speech engine wrote an unknown audio format (header {magic!r}).")
    with wave.open(str(path), "rb") as wav:
        params = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
        return params, wav.readframes(wav.getnframes())


def _save(request: dict[str, Any]) -> dict[str, Any]:
    pieces = [str(piece) for piece in request.get("pieces") or [] if str(piece).strip()]
    if not pieces:
        raise WorkerFailure("bad-request", "There is no text to synthesise.")
    out_path = Path(request["path"])
    engine = _init_engine()
    voice = request.get("voice")
    if voice:
        known = {v["id"] for v in _voices(engine)}
        if voice not in known:
            sample = ", ".join(sorted(known)[:8])
            raise WorkerFailure("bad-voice", f"Unknown voice {voice!r}. Pick one of the installed voices ({sample}, ...).")
        engine.setProperty("voice", voice)
    # With eSpeak the rate is set on every job, its default too: pyttsx3 sets that default as eSpeak starts, and
    # on a busy machine eSpeak sometimes lost it, so the same text was read at 175 words a minute instead of 200
    # (4.96 s instead of 4.25 s: the speech was whole, only slower).
    rate = request.get("rate") or (ESPEAK_RATE if _driver_name(engine) == "espeak" else None)
    if rate:
        engine.setProperty("rate", int(rate))
    if request.get("volume") is not None:
        engine.setProperty("volume", float(request["volume"]))

    errors: list[str] = []
    finished = threading.Event()
    engine.connect("finished-utterance", lambda name, completed: finished.set())
    engine.connect("error", lambda name, exception: errors.append(str(exception)))
    # eSpeak's retrieval mode synthesises on a thread of its own: runAndWait
    # returns before the file is written, so wait for the end of the utterance.
    waits_for_finish = _driver_name(engine) == "espeak"

    params: tuple[int, int, int] | None = None
    frames_total = 0
    with tempfile.TemporaryDirectory(prefix="samantha-tts-") as tmp, contextlib.ExitStack() as stack:
        out: wave.Wave_write | None = None
        for index, piece in enumerate(pieces):
            part = Path(tmp) / f"part-{index}.wav"
            finished.clear()
            engine.save_to_file(piece, str(part))
            engine.runAndWait()
            if waits_for_finish and not finished.wait(PIECE_TIMEOUT_S):
                raise WorkerFailure("timeout", "eSpeak did not finish a piece of text in time.")
            if errors:
                raise WorkerFailure("failed", f"The speech engine reported an error: {errors[0]}")
            piece_params, frames = _read_audio(part)
            if out is None:
                params = piece_params
                out = stack.enter_context(wave.open(str(out_path), "wb"))
                out.setnchannels(params[0])
                out.setsampwidth(params[1])
                out.setframerate(params[2])
            elif piece_params != params:
                raise WorkerFailure("failed", f"The speech engine changed audio format mid-text ({piece_params} vs {params}).")
            out.writeframes(frames)
            frames_total += len(frames) // (piece_params[0] * piece_params[1])
    if params is None or frames_total == 0:
        raise WorkerFailure("failed", "The speech engine returned no audio for this text.")
    return {"ok": True, "frames": frames_total, "sample_rate": params[2]}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request; every failure becomes an error reply, never a traceback."""
    try:
        op = request.get("op")
        if op == "info":
            return _info()
        if op == "save":
            return _save(request)
        raise WorkerFailure("bad-request", f"Unknown operation {op!r}.")
    except WorkerFailure as exc:
        return {"ok": False, "kind": exc.kind, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - report, do not crash: the parent shows the message
        return {"ok": False, "kind": "failed", "message": f"{type(exc).__name__}: {exc}"}


def main() -> int:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    reply_stream = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # pyttsx3 prints progress to stdout
        reply = handle(request)
    reply_stream.write(json.dumps(reply) + "\n")
    reply_stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

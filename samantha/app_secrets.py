"""Secrets the app was started with, kept out of its environment block and command line.

Any process of the same user can read /proc/PID/environ and /proc/PID/cmdline, and
those show what the process was started with, even after os.environ changes. Model
code runs as the same user, so at start (before anything else) the `samantha`
command takes its secrets out of both, hands them to a fresh copy of itself
through an inherited pipe, and replaces itself with that copy (os.execve), whose
environment block and command line no longer hold them. The copy reads them into a
`Secrets` object that is passed to what needs them: the password to the login, the
Hugging Face token to downloads, API keys to remote servers.

Which variables are secret: SAMANTHA_PASSWORD, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, and
every name containing TOKEN, SECRET, PASSWORD, PASSWD, API_KEY, APIKEY, ACCESS_KEY,
PRIVATE_KEY or CREDENTIAL (any case), except names ending in _PATH, _FILE or _DIR,
which say where a secret is kept rather than hold it. The --password option is
taken off the command line too.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PASSWORD_ENV = "SAMANTHA_PASSWORD"
HF_TOKEN_NAMES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
                "CREDENTIAL")
NOT_SECRET_ENDINGS = ("_PATH", "_FILE", "_DIR")
PASSWORD_OPTION = "--password"
# Set in the copy's environment: the number of the pipe to read the secrets from (not a secret itself).
PIPE_ENV = "SAMANTHA_SECRETS_FD"
# Written into the pipe before the copy starts, so it must fit in the smallest pipe buffer (macOS: 16 KiB).
PIPE_LIMIT = 16_000


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (see the module's rule)."""
    upper = name.upper()
    if upper.endswith(NOT_SECRET_ENDINGS):
        return False
    return upper in (PASSWORD_ENV, *HF_TOKEN_NAMES) or any(word in upper for word in SECRET_WORDS)


@dataclass(frozen=True)
class Secrets:
    """What the app was started with that nobody else may read: secret variables and --password."""

    values: Mapping[str, str] = field(default_factory=dict)
    password_option: str | None = None

    @property
    def password(self) -> str | None:
        """The login password: --password, else SAMANTHA_PASSWORD."""
        return self.password_option or self.values.get(PASSWORD_ENV) or None

    @property
    def hf_token(self) -> str | None:
        """The Hugging Face token for downloads (HF_TOKEN, else HUGGING_FACE_HUB_TOKEN)."""
        return next((self.values[name] for name in HF_TOKEN_NAMES if self.values.get(name)), None)

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment with the secrets back in, for code that looks a key up by name (API keys)."""
        return {**(os.environ if base is None else base), **self.values}


def without_password(words: Sequence[str]) -> tuple[list[str], str | None]:
    """The command-line words without --password and its value (also --password=X and argparse's
    abbreviations such as --pass), and the password given (the last one wins, as in argparse)."""
    kept: list[str] = []
    password = None
    index = 0
    while index < len(words):
        word = words[index]
        option, equals, value = word.partition("=")
        if word == "--":
            kept.extend(words[index:])
            break
        if len(option) >= len("--pas") and PASSWORD_OPTION.startswith(option):  # "--pa" could be run's --pace
            if equals:
                password = value
            elif index + 1 < len(words):
                password = words[index + 1]
                index += 1
            index += 1
            continue
        kept.append(word)
        index += 1
    return kept, password


def take_secrets(words: Sequence[str], environ: Mapping[str, str]) -> tuple[Secrets, list[str]]:
    """The secrets in `environ` and `words`, and the words without --password (nothing is changed)."""
    kept, password = without_password(words)
    values = {name: value for name, value in environ.items() if is_secret_name(name)}
    return Secrets(values, password), kept


def _read_pipe(fd: int) -> Secrets:
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = json.loads(b"".join(chunks).decode("utf-8"))
    return Secrets(dict(data["values"]), data["password"])


def keep_secrets_private(words: Sequence[str]) -> tuple[Secrets, list[str]]:
    """At the start of the `samantha` command: the secrets and the command-line words without them.

    On POSIX, when there are secrets, this does not return: the process is replaced by a copy
    of itself without them, whose call returns them (read from the pipe). Elsewhere (Windows has
    no /proc) the secrets are only taken off the command line given to the parser.
    """
    inherited = os.environ.pop(PIPE_ENV, None)
    if inherited is not None:
        secrets = _read_pipe(int(inherited))
        return secrets, without_password(words)[0]
    secrets, kept = take_secrets(words, os.environ)
    if os.name != "posix" or not sys.executable or (not secrets.values and secrets.password_option is None):
        return secrets, kept
    payload = json.dumps({"values": dict(secrets.values), "password": secrets.password_option}).encode("utf-8")
    if len(payload) > PIPE_LIMIT:
        print(f"samantha: the secret environment variables are too large to hand over ({len(payload)} bytes); "
              "they stay readable by programs of this user", file=sys.stderr)
        return secrets, kept
    read_end, write_end = os.pipe()
    os.write(write_end, payload)
    os.close(write_end)
    os.set_inheritable(read_end, True)
    environ = {name: value for name, value in os.environ.items() if name not in secrets.values}
    environ[PIPE_ENV] = str(read_end)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "samantha", *kept], environ)
    raise AssertionError("os.execve returned")  # pragma: no cover

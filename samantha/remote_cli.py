"""The command line's part of remote models: `--api-key-env` and `samantha models list-remote URL`.

Kept out of cli.py so that file only wires these in. The key is read from an
environment variable, never from an option, so it stays out of the process list
and the shell history.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import TextIO

from samantha.backends.openai_refs import RemoteRefError, server_url
from samantha.errors import SamanthaError
from samantha.model_ref import ModelRefError, parse_model_ref

KEY_HELP = (
    "the environment variable that holds the API key for openai+http(s):// models "
    "(default: SAMANTHA_API_KEY, then OPENAI_API_KEY)"
)


class RemoteInputError(SamanthaError, ValueError):
    """A remote entry or key option the CLI cannot use; the message says what to fix."""


def add_api_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key-env", metavar="NAME", default=None, help=KEY_HELP)


def add_models_parser(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="models on OpenAI-compatible servers")
    commands = models.add_subparsers(dest="models_command", required=True)
    listing = commands.add_parser(
        "list-remote",
        help="print the models a server serves (its /v1/models), as chain entries",
        description="Print each model of an OpenAI-compatible server as an openai+URL#model chain entry.",
    )
    listing.add_argument("url", help="the server's API base, e.g. http://127.0.0.1:8080/v1")
    add_api_key_option(listing)


def api_key_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str | None:
    """The key named by --api-key-env; None lets the backend use SAMANTHA_API_KEY / OPENAI_API_KEY."""
    name = getattr(args, "api_key_env", None)
    if not name:
        return None
    value = (environ if environ is not None else os.environ).get(name, "")
    if not value:
        raise RemoteInputError(f"--api-key-env {name}: that environment variable is not set (or empty)")
    return value


def check_remote_models(models: Sequence[str]) -> None:
    """Every model entry (remote ones, hub links and files alike) must parse, before anything runs."""
    for model in models:
        try:
            parse_model_ref(model)
        except ModelRefError as exc:
            raise RemoteInputError(str(exc)) from None


def models_command(args: argparse.Namespace, out: TextIO, err: TextIO,
                   environ: Mapping[str, str] | None = None) -> int:
    """`samantha models list-remote URL`: one chain entry per line, then the server kind on stderr.

    `environ` is where API keys are looked up (the app's secrets are no longer in os.environ)."""
    from samantha.backends.openai_refs import make_ref
    from samantha.backends.openai_remote import OpenAIRemoteBackend

    try:
        base = server_url(args.url)
        backend = OpenAIRemoteBackend(api_key_from(args, environ), environ=environ)
    except (RemoteRefError, RemoteInputError) as exc:
        print(f"samantha: {exc}", file=err)
        return 2
    try:
        listing = backend.list_models(base, backend.api_key(base))  # a RemoteError is said by cli.main
    finally:
        backend.close()
    for model in listing.models:
        print(make_ref(base, model.id), file=out)
    print(f"samantha: {len(listing.models)} model(s) on {base} ({listing.kind.name})", file=err)
    return 0

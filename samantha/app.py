"""The web app: `build_app` assembles the page from its dependencies, `launch` runs it for `samantha ui`.

Dependencies come in as arguments (model host, settings store, folders), so tests
start the real app on a free port with a temporary models folder and config.
"""

from __future__ import annotations

import argparse
import hmac
import os
import shutil
import signal
import sys
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from samantha.app_secrets import PASSWORD_ENV, Secrets
from samantha.config import ConfigStore
from samantha.errors import SamanthaError
from samantha.model_host import ModelHost
from samantha.prompt_collections import default_prompts_dir
from samantha.temp_folders import FILES_PREFIX, make_owned_folder, sweep_leftovers
from samantha.ui import assets
from samantha.ui.context import UIPlugin
from samantha.ui.features import standard_plugins
from samantha.ui.i18n import localize_blocks
from samantha.ui.layout import build_blocks
from samantha.web_guard import LoginLimiter, WebGuard, allowed_hosts, is_loopback

__all__ = ["LaunchError", "build_app", "is_loopback", "launch", "password_check", "serve"]

AUTH_USER_HINT = "Any user name; the password is the one Samantha was started with."
EXIT_BAD_OPTIONS = 2
EXIT_CANNOT_SERVE = 1
MAX_UPLOAD = "200mb"  # the largest PDF the loaders take
# A password guards the app on the network; shorter ones fall to guessing even with the login limit.
MIN_PASSWORD_LENGTH = 8


class LaunchError(SamanthaError, ValueError):
    """The app cannot start with these options; the message says what to change."""


def default_host(secrets: Secrets | None = None) -> ModelHost:
    """The real thing: llama.cpp in a worker process (one model at a time), and OpenAI-compatible servers
    (whose keys come from `secrets`, no longer in the environment)."""
    from samantha.run_setup import RunAccess, build_backend

    access = RunAccess(environ=(secrets if secrets is not None else Secrets()).environ())
    return ModelHost(lambda: build_backend(access))  # the same backend `samantha run` builds


def build_app(
    *,
    host: ModelHost | None = None,
    config: ConfigStore | None = None,
    models_dir: str | Path | None = None,
    prompts_dir: Path | None = None,
    files_dir: Path | None = None,
    plugins: Sequence[UIPlugin] = (),
    starter: Path | None = None,
) -> gr.Blocks:
    """The Gradio Blocks of the whole app; `models_dir`, when given, becomes the remembered model folder;
    `starter` is the bundled starter model, listed with the models and run when none is chosen."""
    config = config if config is not None else ConfigStore()
    if models_dir is not None and str(models_dir).strip():
        folder = Path(models_dir).expanduser()
        if not folder.is_dir():
            raise LaunchError(f"--models-dir {folder} is not a folder: give the folder that holds your .gguf files")
        config.update(models_dir=str(folder.resolve()))
    own_files = files_dir is None
    files = make_owned_folder(FILES_PREFIX) if files_dir is None else files_dir
    demo = build_blocks(
        host if host is not None else default_host(),
        config,
        prompts_dir=prompts_dir if prompts_dir is not None else default_prompts_dir(),
        files_dir=files,
        plugins=plugins,
        starter=starter,
    )
    if own_files:  # exports and speech files go with the app (at the latest when Python exits)
        weakref.finalize(demo, shutil.rmtree, files, True)
    return demo


def password_check(password: str):
    """Gradio auth callback: any user name, this password (compared in constant time)."""
    expected = password.encode("utf-8")

    def check(user: str, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), expected)

    return check


def serve(
    demo: gr.Blocks,
    *,
    server_name: str = "127.0.0.1",
    port: int = 7860,
    password: str | None = None,
    open_browser: bool = False,
    block: bool = True,
    quiet: bool = False,
) -> str:
    """Start the server with the app's theme, CSS and scripts; returns the local URL.

    Refuses a non-loopback address without a password, and a password shorter than
    MIN_PASSWORD_LENGTH. Every request passes the `WebGuard` first: other host names,
    other web sites' pages and password guessing are refused.
    """
    if not is_loopback(server_name) and not password:
        raise LaunchError(
            f"listening on {server_name} lets other computers reach Samantha: give a password with "
            f"--password (or the {PASSWORD_ENV} environment variable), or use --host 127.0.0.1"
        )
    if password and len(password) < MIN_PASSWORD_LENGTH:
        raise LaunchError(
            f"the password is {len(password)} characters long: use at least {MIN_PASSWORD_LENGTH}, so it cannot be "
            "guessed (a few words in a row are easy to remember)"
        )
    guard = Middleware(WebGuard, hosts=allowed_hosts(server_name), limiter=LoginLimiter() if password else None)
    demo.queue(default_concurrency_limit=4)
    _, local_url, _ = demo.launch(
        server_name=server_name,
        server_port=port,
        auth=password_check(password) if password else None,
        auth_message=AUTH_USER_HINT if password else None,
        inbrowser=open_browser,
        share=False,
        ssr_mode=False,
        run_history=False,  # would keep every transcript in the browser and offer cloud upload
        max_file_size=MAX_UPLOAD,
        app_kwargs={"middleware": [guard]},
        prevent_thread_lock=not block,
        show_error=True,
        quiet=quiet,
        theme=assets.theme(),
        css=assets.CSS,
        head=assets.HEAD,
        js=assets.ON_LOAD_JS,
        i18n=localize_blocks(demo),  # the page's text in the browser's chosen language
    )
    return local_url


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def launch(args: argparse.Namespace, secrets: Secrets | None = None) -> int:
    """Run the app until Ctrl+C (`samantha` / `samantha ui`); returns the exit code.

    `secrets` are what the command took out of its environment and command line at start."""
    secrets = secrets if secrets is not None else Secrets()
    if threading.current_thread() is threading.main_thread():
        # A plain `kill` shuts down like Ctrl+C, so the model's worker process ends with the app.
        signal.signal(signal.SIGTERM, _interrupt)
    password = secrets.password or getattr(args, "password", None) or os.environ.get(PASSWORD_ENV) or None
    sweep_leftovers()  # folders of an earlier run that was killed
    files = make_owned_folder(FILES_PREFIX)
    host = default_host(secrets)
    try:
        from samantha.starter import starter_model

        demo = build_app(host=host, models_dir=args.models_dir, files_dir=files, plugins=standard_plugins(secrets),
                         starter=starter_model())
        # Gradio's own banner suggests share links, which Samantha never makes: say where it runs instead.
        url = serve(demo, server_name=args.host, port=args.port, password=password, open_browser=not args.no_browser,
                    block=False, quiet=True)
        print(f"Samantha is running on {url} (press Ctrl+C to stop).", flush=True)
        demo.block_thread()
    except LaunchError as exc:
        print(f"samantha: {exc}", file=sys.stderr)
        return EXIT_BAD_OPTIONS
    except OSError as exc:
        print(
            f"samantha: cannot listen on {args.host}:{args.port} ({exc}); is Samantha already running? "
            "Open it in the browser, or start with another --port.",
            file=sys.stderr,
        )
        return EXIT_CANNOT_SERVE
    except KeyboardInterrupt:
        pass
    finally:
        host.close()
        shutil.rmtree(files, ignore_errors=True)
    return 0

"""The feature panels the app ships with, in the order their tabs appear."""

from __future__ import annotations

from samantha.app_secrets import Secrets
from samantha.ui.code_panel import CodePlugin
from samantha.ui.context import UIPlugin
from samantha.ui.downloads_panel import DownloadsPlugin
from samantha.ui.history_panel import with_history
from samantha.ui.learning_panel import LearningPlugin
from samantha.ui.remote_panel import RemotePlugin
from samantha.ui.voice_panel import VoicePlugin


def standard_plugins(secrets: Secrets | None = None) -> list[UIPlugin]:
    """Fresh plugin objects for one page (each keeps the components it rendered).

    `secrets` (what the app was started with) give downloads their token and remote servers their keys.
    """
    secrets = secrets if secrets is not None else Secrets()
    return with_history([DownloadsPlugin(hf_token=secrets.hf_token), VoicePlugin(), CodePlugin(),
                         RemotePlugin(environ=secrets.environ()), LearningPlugin()])

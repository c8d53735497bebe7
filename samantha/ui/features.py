"""The feature panels the app ships with, in the order their tabs appear."""

from __future__ import annotations

from samantha.ui.code_panel import CodePlugin
from samantha.ui.context import UIPlugin
from samantha.ui.downloads_panel import DownloadsPlugin
from samantha.ui.history_panel import with_history
from samantha.ui.learning_panel import LearningPlugin
from samantha.ui.remote_panel import RemotePlugin
from samantha.ui.voice_panel import VoicePlugin


def standard_plugins() -> list[UIPlugin]:
    """Fresh plugin objects for one page (each keeps the components it rendered)."""
    return with_history([DownloadsPlugin(), VoicePlugin(), CodePlugin(), RemotePlugin(), LearningPlugin()])

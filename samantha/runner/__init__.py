"""Run the Python that models write, in a separate environment.

Usage, one runner per session::

    environment = find_environment(configured_path)  # RunnerNotFound says how to create it
    runner = CodeRunner(environment, session_folder, limits=RunLimits(timeout=60))
    result = runner.run(extract_python(answer), stop_event)
    view = build_view(result)  # None when nothing was printed or drawn
    runner.close()  # Close Python
"""

from samantha.runner.environment import (
    DEFAULT_PACKAGES,
    DEFAULT_PROFILE,
    PROFILES,
    SETUP_COMMAND,
    RunnerEnvironment,
    create_environment,
    default_environment_dir,
    find_environment,
    installed_packages,
    installed_profiles,
    minimal_environment,
    profile_packages,
    use_interpreter,
)
from samantha.runner.errors import (
    NoCodeError,
    RunnerError,
    RunnerNotFound,
    RunnerSetupError,
    ToolNotInstalled,
    UnknownProcess,
)
from samantha.runner.execute import CodeRunner, RunLimits, RunResult
from samantha.runner.extract import extract_python, python_blocks
from samantha.runner.launchers import (
    SAMPLE_CSV,
    csv_to_sqlite,
    launch_dtale,
    launch_jupyterlab,
    launch_module,
    launch_sqlite_browser,
    package_script,
)
from samantha.runner.output import (
    STOP_WORD,
    OutputView,
    build_view,
    feedback_text,
    is_error,
    output_text,
    sandboxed_frame,
    stop_condition_met,
    wants_stop,
)
from samantha.runner.processes import ProcessInfo, ProcessManager, find_local_url, free_port

__all__ = [
    "DEFAULT_PACKAGES",
    "DEFAULT_PROFILE",
    "PROFILES",
    "SAMPLE_CSV",
    "SETUP_COMMAND",
    "STOP_WORD",
    "CodeRunner",
    "NoCodeError",
    "OutputView",
    "ProcessInfo",
    "ProcessManager",
    "RunLimits",
    "RunResult",
    "RunnerEnvironment",
    "RunnerError",
    "RunnerNotFound",
    "RunnerSetupError",
    "ToolNotInstalled",
    "UnknownProcess",
    "build_view",
    "create_environment",
    "csv_to_sqlite",
    "default_environment_dir",
    "extract_python",
    "feedback_text",
    "find_environment",
    "find_local_url",
    "free_port",
    "installed_packages",
    "installed_profiles",
    "is_error",
    "launch_dtale",
    "launch_jupyterlab",
    "launch_module",
    "launch_sqlite_browser",
    "minimal_environment",
    "output_text",
    "package_script",
    "profile_packages",
    "python_blocks",
    "sandboxed_frame",
    "stop_condition_met",
    "use_interpreter",
    "wants_stop",
]

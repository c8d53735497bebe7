"""Model code cannot read the app's secrets through /proc: `samantha ui` started for real with a
password, HF_TOKEN and SECRET_TOKEN, then code run through its Code tab (real runner venv) reads
every /proc/*/environ and /proc/*/cmdline it can -- under bubblewrap and without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from runner_env import runner_environment

from samantha.runner.containment import NO_BWRAP_ENV, Containment
from tests.support.app_server import ui_process

PROBE = """
import os
wanted = {wanted!r}
paths = [f"/proc/{{os.getppid()}}/environ"]
paths += [f"/proc/{{pid}}/{{name}}" for pid in os.listdir("/proc") if pid.isdigit() for name in ("environ", "cmdline")]
readable, found = 0, set()
for path in paths:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        continue
    readable += 1
    found.update(label for label, value in wanted.items() if value.encode() in data)
print("readable", readable)
print("found", " ".join(sorted(found)) or "nothing")
"""


def modes() -> list[object]:
    found = [pytest.param(False, id="without-bwrap")]
    if Containment.detect().bwrap:
        found.append(pytest.param(True, id="bwrap"))
    return found


@pytest.fixture(params=modes())
def app(request: pytest.FixtureRequest, tmp_path: Path, model_dir: Path, tiny_model: Path) -> Iterator[dict[str, object]]:
    values = {
        "option password": f"pw-option-{uuid.uuid4().hex}",
        "SAMANTHA_PASSWORD": f"pw-env-{uuid.uuid4().hex}",
        "HF_TOKEN": f"hf_{uuid.uuid4().hex}",
        "SECRET_TOKEN": f"st-{uuid.uuid4().hex}",
        "OPENAI_API_KEY": f"sk-{uuid.uuid4().hex}",
    }
    control = f"plain-{uuid.uuid4().hex}"  # not secret: stays in the environment, so a reader can find it
    env = {name: value for name, value in os.environ.items() if name != NO_BWRAP_ENV}
    env.update({name: value for name, value in values.items() if name != "option password"})
    env.update(SAMANTHA_CONFIG_DIR=str(tmp_path / "config"), GRADIO_ANALYTICS_ENABLED="False",
               SAMANTHA_TEST_CONTROL=control)
    if not request.param:
        env[NO_BWRAP_ENV] = "1"
    options = ("--models-dir", str(model_dir), "--password", values["option password"])
    with ui_process(*options, env=env) as (process, url):
        yield {"url": url, "values": values, "control": control, "bwrap": request.param, "pid": process.pid}


def test_model_code_finds_no_secret_of_the_app_in_proc(app: dict[str, object]) -> None:
    values: dict[str, str] = app["values"]  # type: ignore[assignment]
    wanted = {**values, "control": str(app["control"])}
    client = Client(str(app["url"]), auth=("anyone", values["option password"]), verbose=False)
    _, printed, _, _ = client.predict(PROBE.format(wanted=wanted), str(runner_environment().root), 60, False,
                                      api_name="/run_code")
    text = printed if isinstance(printed, str) else printed["value"]
    readable = int(text.split("readable ")[1].split()[0])
    found = text.split("found ")[1].strip()
    assert readable > 2, text
    if app["bwrap"]:
        assert found == "nothing", text  # the app's processes are not even visible
    else:
        assert found == "control", text  # the app's environment is readable, but holds no secret any more
    # The app itself still has them: the password logged in above, and its own block is clean too.
    own = Path(f"/proc/{app['pid']}/environ").read_bytes() + Path(f"/proc/{app['pid']}/cmdline").read_bytes()
    assert not [name for name, value in values.items() if value.encode() in own]

"""Which variables and options count as secrets, and how they are taken off the command line."""

from __future__ import annotations

from samantha.app_secrets import Secrets, is_secret_name, take_secrets, without_password


def test_the_secret_name_rule() -> None:
    for name in ("SAMANTHA_PASSWORD", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "SECRET_TOKEN", "OPENAI_API_KEY",
                 "github_token", "AWS_SECRET_ACCESS_KEY", "DB_PASSWD", "MY_APIKEY", "GOOGLE_CREDENTIALS",
                 "SSH_PRIVATE_KEY"):
        assert is_secret_name(name), name
    for name in ("PATH", "HOME", "HF_TOKEN_PATH", "PASSWORD_STORE_DIR", "SECRET_FILE", "HF_ENDPOINT", "LANG",
                 "SAMANTHA_CONFIG_DIR"):
        assert not is_secret_name(name), name


def test_the_password_option_is_taken_off_the_command_line_in_every_spelling() -> None:
    assert without_password(["ui", "--password", "p w", "--port", "1"]) == (["ui", "--port", "1"], "p w")
    assert without_password(["--password=a=b", "--host", "0.0.0.0"]) == (["--host", "0.0.0.0"], "a=b")
    assert without_password(["--passw", "x", "--pass=y"]) == ([], "y")  # argparse's abbreviations; the last wins
    # run's --pace and the runner's --path and --packages are not the password
    assert without_password(["run", "--pace", "0.5", "--pa", "1"]) == (["run", "--pace", "0.5", "--pa", "1"], None)
    assert without_password(["runner", "setup", "--path", "p", "--packages", "numpy"])[1] is None
    assert without_password(["run", "--", "--password", "x"]) == (["run", "--", "--password", "x"], None)


def test_secrets_are_read_without_changing_anything() -> None:
    environ = {"HF_TOKEN": "hf_1", "SAMANTHA_PASSWORD": "env password", "PATH": "/bin", "OPENAI_API_KEY": "sk-1"}
    secrets, words = take_secrets(["ui", "--password", "option password"], environ)
    assert words == ["ui"] and secrets.password == "option password" and secrets.hf_token == "hf_1"
    assert dict(secrets.values) == {"HF_TOKEN": "hf_1", "SAMANTHA_PASSWORD": "env password", "OPENAI_API_KEY": "sk-1"}
    assert take_secrets([], environ)[0].password == "env password"
    assert secrets.environ({"PATH": "/bin"}) == {"PATH": "/bin", **secrets.values}
    assert Secrets().password is None and Secrets().hf_token is None

"""Issue 27: what a new user tripped over, each with a test that failed before the fix."""

import subprocess
import sys

import pytest

from nnfs_cli import cli as cli_module


def test_a_ctrl_c_while_the_last_message_prints_is_still_exit_130(monkeypatch, capsys):
    """A second Ctrl-C landing while the first one's message is printed: click's standalone
    mode turned that into "Aborted!" and exit 1."""
    def interrupted_echo(message=None, **options):
        if message and "no such run directory" in str(message):
            raise KeyboardInterrupt
        print(message, file=sys.stderr)

    monkeypatch.setattr(sys, "argv", ["nnfs", "evaluate", "nowhere"])
    monkeypatch.setattr(cli_module.click, "echo", interrupted_echo)
    with pytest.raises(SystemExit) as done:
        cli_module.main()
    assert done.value.code == 130
    assert "Aborted" not in capsys.readouterr().err


def test_usage_errors_and_version_keep_their_codes_outside_standalone_mode(tmp_path):
    nnfs = [sys.executable, "-m", "nnfs_cli"]
    for args, code, text in ((["nope"], 2, "No such command 'nope'"),
                             (["train"], 2, "give a CONFIG file"),
                             (["--version"], 0, "nnfs (nnfs_cli), version"),
                             (["runs", str(tmp_path / "x")], 2, "no such directory")):
        result = subprocess.run([*nnfs, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == code, (args, result.stderr)
        assert text in result.stdout + result.stderr

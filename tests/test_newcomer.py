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


INTERRUPTING_IMPORT = '''
import sys

class Interrupt:
    """A Ctrl-C landing while the module named by NNFS_TEST_INTERRUPT is imported."""
    def find_spec(self, name, path=None, target=None):
        import os
        if name == os.environ["NNFS_TEST_INTERRUPT"]:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupt())
'''


@pytest.mark.parametrize("module, args", [("click", ["--help"]),
                                          ("numpy", ["train", "spiral.yaml"])])
def test_a_ctrl_c_during_the_first_imports_is_one_line(tmp_path, module, args):
    """Ctrl-C in the first fraction of a second lands in an import: of click while the
    command line loads, of NumPy once the command runs. Either way: one line, exit 130."""
    import shutil
    from pathlib import Path

    nnfs = shutil.which("nnfs", path=str(Path(sys.executable).parent))
    if nnfs is None:
        pytest.skip("the nnfs script is not installed next to this Python")
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(INTERRUPTING_IMPORT)
    (tmp_path / "spiral.yaml").write_text("data: {name: spiral}\nmodel: [dense: 8, softmax]\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "hook"),
           "NNFS_TEST_INTERRUPT": module}
    result = subprocess.run([nnfs, *args], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert (result.returncode, result.stderr, result.stdout) == (130, "Interrupted.\n", "")

"""The README and docs/ say what the code does: every Python example runs (in a fresh
process, in a folder holding the repository's configs and examples), every `nnfs` command
line in them names options the command has, and every page is linked and every link resolves."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from nnfs_cli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_ELSEWHERE = "<!-- run by "   # a block another test runs, with what it needs
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?P<kind>[a-z]*)\n(?P<code>.*?)\n```", re.S)


def blocks(kind):
    for page in PAGES:
        for match in BLOCK.finditer(page.read_text()):
            if match["kind"] == kind or (kind == "shell" and match["kind"] in ("", "bash")):
                yield page, match["before"], match["code"]


PYTHON = [(page, code) for page, before, code in blocks("python")
          if not before.startswith(RUN_ELSEWHERE)]


@pytest.mark.parametrize("page, code", PYTHON,
                         ids=[f"{page.name}-{index}" for index, (page, _) in enumerate(PYTHON)])
def test_every_python_example_runs(page, code, tmp_path):
    for folder in ("configs", "examples", "sweeps"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{page.name}:\n{code}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr


def command_lines():
    for page, _, code in blocks("shell"):
        for line in code.splitlines():
            line = line.split(" # ")[0].split("&&")[-1].strip().removeprefix("$ ")
            if line.startswith("nnfs ") and "..." not in line:
                yield page, line


def test_every_documented_command_line_has_its_options():
    lines = list(command_lines())
    assert len(lines) > 20
    for page, line in lines:
        words = [word for word in line.split()[1:]]
        command = cli.get_command(click.Context(cli), words[0]) if words else None
        assert command is not None, (page.name, line)
        known = {name for param in command.params for name in param.opts + param.secondary_opts}
        for word in words[1:]:
            if word.startswith("-") and not word.lstrip("-")[:1].isdigit():
                assert word.split("=")[0] in known, (page.name, line, word)


def test_every_page_is_linked_and_every_link_resolves():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in readme, page.name
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), (page.name, target)

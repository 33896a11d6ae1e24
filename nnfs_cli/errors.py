"""The two kinds of failure the CLI reports: bad input (exit 2) and runtime trouble (exit 1)."""

import reprlib

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6
_SHORT.maxlevel = 3


def show(value):
    """`repr(value)` cut short: a message must stay one readable line, whatever the value."""
    return _SHORT.repr(value)


class NnfsError(Exception):
    """A runtime failure with a one-line message for the user (exit code 1)."""

    exit_code = 1
    prefix = "Error: "

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(NnfsError):
    """One or more problems in a config file, each a `key.path: message` line (exit code 2)."""

    exit_code = 2

    def __init__(self, problems, source=None):
        self.problems = list(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(prefix + p for p in self.problems))


class BadUsage(NnfsError):
    """The caller's mistake in an option or a path given on the command line (exit code 2)."""

    exit_code = 2


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that cleanup code runs (exit code 143)."""

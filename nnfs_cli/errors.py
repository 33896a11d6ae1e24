"""The failures nnfs reports, one family for the CLI and for Python callers: NnfsError and its
subclasses. The CLI prints the message as one line per problem and exits with `exit_code`:
2 for the caller's mistakes (ConfigError, BadUsage), 1 for runtime trouble (the rest)."""

import reprlib


class _Short(reprlib.Repr):
    """reprlib's short reprs, with NumPy scalars shown as the numbers they hold: 2.0, not
    np.float64(2.0) (NumPy 2's repr), wherever they sit in the value."""

    def repr1(self, x, level):
        if type(x).__module__ == "numpy" and getattr(x, "shape", None) == () \
                and hasattr(x, "item"):
            x = x.item()
        return super().repr1(x, level)


_SHORT = _Short()
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
    """The caller's mistake in an option, an argument or a path (exit code 2); from Python,
    a misuse of the API (`train` before `finalize`, say)."""

    exit_code = 2


class DataError(NnfsError):
    """A data file that cannot be used as it is: missing, unreadable, malformed, or not
    what the config says (exit code 1). The message names the file (and line, column)."""


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that cleanup code runs (exit code 143)."""

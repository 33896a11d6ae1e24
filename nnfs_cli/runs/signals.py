"""Ctrl-C and SIGTERM during training: finish the batch, save, exit; a second Ctrl-C exits at once."""

import contextlib
import signal

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@contextlib.contextmanager
def graceful_stop():
    """Yield a function that returns the first signal received (or None)."""
    received = []

    def handle(signum, frame):
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt   # the second Ctrl-C: stop now
        received.append(signum)

    previous = {signum: signal.signal(signum, handle) for signum in EXIT_CODES}
    try:
        yield lambda: received[0] if received else None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

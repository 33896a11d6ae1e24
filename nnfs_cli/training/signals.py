"""Ctrl-C and SIGTERM during training: finish the batch, save, exit; a second Ctrl-C exits at
once, but never between a checkpoint and the summary that describes it."""

import contextlib
import signal
import threading

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


@contextlib.contextmanager
def graceful_stop():
    """Yield a function that returns the first signal received (or None).

    Nested inside another graceful_stop (a sweep around a trial's training) it shares the
    signals received so far: a Ctrl-C while a trial loads its data stops its training at once.
    """
    received = getattr(signal.getsignal(signal.SIGINT), "received", None)
    if received is None:
        received = []

    def handle(signum, frame):
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt   # the second Ctrl-C: stop now
        received.append(signum)

    handle.received = received
    previous = {signum: signal.signal(signum, handle) for signum in EXIT_CODES}
    try:
        yield lambda: received[0] if received else None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred():
    """Hold Ctrl-C and SIGTERM while files that must agree are written (a checkpoint and the
    summary.json that describes it); a signal that came meanwhile is delivered afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield    # signals reach only the main thread; there is nothing to hold
        return
    received = []

    def hold(signum, frame):
        received.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in EXIT_CODES}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)

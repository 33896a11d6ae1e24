"""`nnfs sweep`: run a sweep's trials in this process (one worker) or in N worker processes,
each with one BLAS thread, and stop them all cleanly on Ctrl-C or SIGTERM.

The workers sit in their own process group, so a Ctrl-C on the terminal reaches only this
process, which passes each signal on once: a worker never mistakes one Ctrl-C for two.
"""

import multiprocessing
import os
import signal
import sys

from nnfs_cli.errors import NnfsError
from nnfs_cli.runs import components
from nnfs_cli.training.signals import EXIT_CODES, graceful_stop
from nnfs_cli.sweep import study as studies
from nnfs_cli.sweep import trials as trial_runs
from nnfs_cli.training.run import Interrupted
from nnfs_cli.threads import blas_threads


def default_workers():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def open_sweep(sweep, name, folder, storage_url, create=True, say=None):
    """(storage, study) of the sweep `name`; the study is made if `create` and missing.
    `say(line)` tells what was repaired in the journal."""
    if storage_url is None and not create and not os.path.lexists(folder / studies.JOURNAL):
        raise NnfsError(f"no sweep {name!r} here ({folder / studies.JOURNAL} does not exist); "
                        f"run nnfs sweep {sweep.path} first")
    with studies.quiet_optuna(), studies.storage_errors(storage_url):
        storage = studies.open_storage(storage_url, folder, say)
        study = studies.open_study(storage, name, sweep, create)
        trial_runs.reconcile(storage, study, sweep, folder, say or _say)
        return storage, study


def run(sweep, name, folder, storage_url, storage, study, workers, reporter):
    """Run the sweep's remaining trials, in this process or in `workers` processes. Raises
    Interrupted (exit 130 or 143) after a signal, NnfsError when a worker failed."""
    with studies.storage_errors(storage_url):
        left, resumed = studies.remaining(study, sweep.trials)
    where = f"storage {studies.masked(storage_url)}" if storage_url else f"journal in {folder}"
    if left == 0:
        reporter.line(f"sweep {name}: all {sweep.trials} trials are taken ({where})")
        return
    workers = min(workers, left)
    resuming = f" ({resumed} to resume)" if resumed else ""
    reporter.line(f"sweep {name}: {left} of {sweep.trials} trials to run{resuming}, {workers} "
                  f"worker{'s' if workers > 1 else ''}, {where}")
    # Download a missing data set once, not in every worker at the same time.
    components.dataset(sweep.base).ensure_available(True, reporter)
    if workers == 1:
        with studies.storage_errors(storage_url):
            _in_this_process(sweep, storage, study, folder, reporter.line)
    else:
        _in_processes(sweep, name, folder, storage_url, workers)


def _in_this_process(sweep, storage, study, folder, say):
    with graceful_stop() as stop, blas_threads(1), studies.quiet_optuna():
        try:
            trial_runs.work(sweep, storage, study, folder, sweep.trials, say, stop)
        except Interrupted as error:   # a trial's training stopped: say it for the sweep
            raise _stopped(error.exit_code) from None
    if stop():
        raise _stopped(EXIT_CODES[stop()])


def _stopped(exit_code):
    return Interrupted("sweep interrupted; run the same command again to continue it",
                       exit_code=exit_code)


def _in_processes(sweep, name, folder, storage_url, workers):
    context = multiprocessing.get_context("spawn")
    stop_event = context.Event()
    processes = [context.Process(target=_worker, name=f"nnfs-sweep-{index}", daemon=True,
                                 args=(sweep, name, folder, storage_url, stop_event, os.getpid()))
                 for index in range(workers)]
    # Children start with Ctrl-C ignored, until they have left our process group (a signal
    # they miss meanwhile still sets stop_event, which they read before taking a trial).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for process in processes:
            process.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    received = []

    def forward(signum, frame):
        received.append(signum)
        stop_event.set()
        for process in processes:
            if process.pid and process.exitcode is None:
                try:
                    os.kill(process.pid, signum)
                except ProcessLookupError:
                    pass

    previous = {signum: signal.signal(signum, forward) for signum in EXIT_CODES}
    try:
        for process in processes:
            while process.exitcode is None:
                process.join(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise _stopped(EXIT_CODES[received[0]])
    codes = sorted({process.exitcode for process in processes} - {0})
    if codes:
        raise NnfsError(f"{len([p for p in processes if p.exitcode])} of {workers} workers "
                        "failed (see above)", exit_code=max(codes) if max(codes) == 2 else 1)


def _worker(sweep, name, folder, storage_url, stop_event, parent):
    """One worker process: its own process group, one BLAS thread, trials until none is left."""
    os.setpgrp()
    code = 0
    try:
        with graceful_stop() as signalled, blas_threads(1), studies.quiet_optuna(), \
                studies.storage_errors(storage_url):
            def stop():
                return signalled() or stop_event.is_set() or os.getppid() != parent
            storage = studies.open_storage(storage_url, folder)
            study = studies.open_study(storage, name, sweep)
            trial_runs.work(sweep, storage, study, folder, sweep.trials, _say, stop)
    except Interrupted as stopped:
        code = stopped.exit_code
    except KeyboardInterrupt:
        code = 130
    except NnfsError as error:
        for line in str(error).splitlines():
            _say(f"{error.prefix}{line}")
        code = error.exit_code
    sys.exit(code)


def _say(text):
    print(text, file=sys.stderr, flush=True)

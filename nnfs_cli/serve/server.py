"""`nnfs serve`: the app on uvicorn, in this process or in worker processes that share one
listening socket. The URL is announced once every worker has started; Ctrl-C and SIGTERM stop
it gracefully (no new connections, requests in flight answered) and it then exits as they
ask (130, 143).

uvicorn runs in a thread while the main thread keeps the signals, so stopping works the same
whatever uvicorn version installs its own handlers or not."""

import errno
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading

from nnfs_cli import extras
from nnfs_cli.errors import BadUsage, NnfsError, Terminated

INSTALL = f"nnfs serve needs FastAPI and uvicorn: {extras.install('serve')}"
GRACE_SECONDS = 30   # then requests still running are cancelled
BACKLOG = 2048


def require():
    """NnfsError saying what to install when the serve extra is missing."""
    try:
        import fastapi  # noqa: F401
        import python_multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise NnfsError(INSTALL) from None


def serve(run_dir, host="127.0.0.1", port=8000, best=False, workers=1, ready=None, say=None):
    """Serve the run `run_dir` until a signal stops it; `ready(url, run)` is called once it
    answers (run: the SavedRun), `say(line)` for notes. Raises KeyboardInterrupt or
    Terminated after a graceful stop, as the signal asked."""
    require()
    from nnfs_cli.serve.app import create_app
    ready, say = ready or (lambda url, run: None), say or (lambda line: None)
    # Loaded here in any case: a broken run is one error line before anything listens.
    app = create_app(run_dir, best)
    saved = app.state.predictor.saved
    sock = listen(host, port)
    url = url_of(sock)
    try:
        if workers == 1:
            _serve_here(app, sock, lambda: ready(url, saved))
        else:
            del app
            _serve_workers(saved.path, best, sock, workers, lambda: ready(url, saved), say)
    finally:
        sock.close()


def listen(host, port):
    """A TCP socket listening on host:port (port 0: a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise BadUsage(f"--host {host}: {getattr(error, 'strerror', None) or error}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        hint = ("; choose another --port (0 picks a free one)"
                if error.errno == errno.EADDRINUSE else "")
        raise NnfsError(f"cannot listen on {host} port {port}: "
                        f"{error.strerror or error}{hint}") from None
    return sock


def url_of(sock):
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _config(app):
    import uvicorn
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                          ws="none", server_header=False,
                          timeout_graceful_shutdown=GRACE_SECONDS)


def _server(config, on_ready):
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's Server, calling `on_ready` once it listens."""

        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if self.started and not self.should_exit:
                on_ready()

    return Server(config)


def _serve_here(app, sock, on_ready, worker=False):
    """Serve `app` on `sock` in this process until a signal (or, in a worker, the parent's
    end) stops it gracefully; then raise as the signal asks (a worker just returns)."""
    server = _server(_config(app), on_ready)
    failed = []

    def run():
        try:
            server.run(sockets=[sock])
        except BaseException as error:   # noqa: BLE001 - given to the main thread
            failed.append(error)

    parent = os.getppid()
    thread = threading.Thread(target=run, name="nnfs-serve", daemon=True)
    stop = _Signals(lambda: setattr(server, "should_exit", True),
                    lambda: setattr(server, "force_exit", True), ignore_interrupt=worker)
    with stop:
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            if worker and os.getppid() != parent:   # the parent is gone: stop too
                server.should_exit = True
    if failed:
        raise failed[0]
    if not server.started and stop.received is None:
        raise NnfsError("the server stopped before it started serving (its log is above)")
    if not worker:
        stop.raise_received()


def _serve_workers(run_dir, best, sock, workers, on_ready, say):
    """Start `workers` processes serving on `sock`, call `on_ready` once all have started,
    start another when one dies, and stop them all (gracefully) on a signal."""
    from nnfs_cli.serve.app import BEST_VARIABLE, RUN_VARIABLE
    # The resolved run, so that every worker serves this one even if `latest` moves on.
    os.environ[RUN_VARIABLE], os.environ[BEST_VARIABLE] = str(run_dir), "1" if best else "0"
    context = multiprocessing.get_context("spawn")   # no fork of a process running BLAS
    started = context.Queue()

    def start():
        process = context.Process(target=_worker, args=(sock, started), name="nnfs-serve")
        process.start()
        return process

    processes = []
    signals = _Signals(lambda: None, lambda: _signal_all(processes, signal.SIGTERM))
    with signals:
        processes += [start() for _ in range(workers)]
        waiting, announced = {process.pid for process in processes}, False
        while not signals.received:
            try:
                waiting.discard(started.get(timeout=0.2))
            except queue.Empty:
                pass
            if not announced and not waiting:
                announced = True
                on_ready()
            for index, process in enumerate(processes):
                if process.exitcode is None:
                    continue
                if process.pid in waiting:
                    _stop_all(processes, sock)
                    raise NnfsError(f"a worker process exited (code {process.exitcode}) "
                                    "before it started serving")
                say(f"worker process {process.pid} exited (code {process.exitcode}); "
                    "starting another")
                processes[index] = start()
        _stop_all(processes, sock)
    signals.raise_received()


def _stop_all(processes, sock):
    """Stop listening, then SIGTERM to every worker (each finishes its requests, having
    closed its copy of the socket) and wait for them all."""
    sock.close()   # once the workers' copies close too, new connections are refused
    _signal_all(processes, signal.SIGTERM)
    for process in processes:
        while process.is_alive():
            process.join(0.2)


def _signal_all(processes, signum):
    for process in processes:
        if process.exitcode is None:
            try:
                os.kill(process.pid, signum)
            except ProcessLookupError:
                pass


def _worker(sock, started):
    """A worker process: the app from the environment the parent set, served on `sock`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches all; the parent stops us
    from nnfs_cli.serve.app import from_environment
    try:
        _serve_here(from_environment(), sock, lambda: started.put(os.getpid()), worker=True)
    except NnfsError as error:
        print(f"{error.prefix}{error}", file=sys.stderr)
        sys.exit(1)


class _Signals:
    """Within the block, the first SIGINT or SIGTERM calls `stop` and a second one `hurry`;
    `raise_received` then raises what the first asked for (KeyboardInterrupt, Terminated)."""

    def __init__(self, stop, hurry, ignore_interrupt=False):
        self.stop, self.hurry, self.received = stop, hurry, None
        self.signals = (signal.SIGTERM,) if ignore_interrupt else (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.previous = {signum: signal.signal(signum, self._handle) for signum in self.signals}
        return self

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        return False

    def _handle(self, signum, frame):
        if self.received is None:
            self.received = signum
            self.stop()
        else:
            self.hurry()

    def raise_received(self):
        if self.received == signal.SIGINT:
            raise KeyboardInterrupt
        if self.received == signal.SIGTERM:
            raise Terminated()

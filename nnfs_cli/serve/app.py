"""The ASGI app of `nnfs serve`, on FastAPI: POST /predict, GET /info, GET /health and
FastAPI's OpenAPI document (/openapi.json, /docs). Bad input is a JSON error with a one-line
message and a 4xx status, never a crash; an unexpected failure is a 500 whose traceback goes
to the server's log only.

    create_app("runs/fashion-20261127-141336")          # the run is loaded here, once
    NNFS_SERVE_RUN=runs/x uvicorn --factory nnfs_cli.serve.app:from_environment
"""

import asyncio
import logging
import os

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from nnfs_cli import __version__, limits
from nnfs_cli.errors import NnfsError
from nnfs_cli.serve.predictor import (Malformed, Predictor, RequestError, TooLarge, Unsupported,
                                      encode)

RUN_VARIABLE, BEST_VARIABLE = "NNFS_SERVE_RUN", "NNFS_SERVE_BEST"
# Requests parsed, decoded and predicted at once in this process; more wait their turn. A
# few keep both cores busy while one slow picture decodes, and bound the memory that
# parsing large bodies takes at once.
CPU_SLOTS = 4
JSON_TYPES = ("application/json",)
FORM_TYPE = "multipart/form-data"

ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
PREDICT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object",
        "description": 'Exactly one key: "rows" (rows of features; for csv runs objects '
                       '{column: value} in any order, or lists of the columns in the '
                       'training file\'s order) or "pixels" (pictures\' pixel values 0-255, '
                       '[batch, height, width] as the ONNX export takes them). GET /info '
                       'says which this run takes.',
        "properties": {"rows": {"type": "array", "items": {}},
                       "pixels": {"type": "array", "items": {}}}}},
    FORM_TYPE: {"schema": {
        "type": "object", "description": "Picture files, each prepared as `nnfs predict` "
                                         "prepares a file, answered in order.",
        "properties": {"files": {"type": "array",
                                 "items": {"type": "string", "format": "binary"}}}}}}}}
PREDICT_RESPONSES = {
    200: {"description": 'One prediction per input, in order: {"predictions": [{"label", '
                         '"index", "confidence", "top_k", "probabilities"}]} for classifiers, '
                         '{"value"} or {"values"} for a regression'},
    400: {"description": "Malformed JSON or form", **ERROR},
    413: {"description": "Past a limit: body bytes, rows or pictures, pixels", **ERROR},
    415: {"description": "Neither JSON nor a form, or pictures for a model on rows", **ERROR},
    422: {"description": "Input the model cannot take: shape, columns, categories, "
                         "values, pictures", **ERROR},
}


def create_app(run_dir, best=False):
    """The app serving the run `run_dir` (params_best.pkl with `best`), loaded now."""
    from nnfs_cli.api import load_run
    from nnfs_cli.threads import DEFAULT_THREADS, blas_threads

    # One BLAS thread per process, as every command has (threads.py), kept for its life.
    blas_threads(DEFAULT_THREADS)
    predictor = Predictor(load_run(run_dir, best=best))
    info = encode(predictor.info())
    slots = asyncio.Semaphore(CPU_SLOTS)
    app = FastAPI(title=f"nnfs serve: {predictor.saved.path.name}", version=__version__,
                  description="Predictions of a run trained by nnfs. Errors are JSON "
                              '{"error": "one line"}.', redoc_url=None)
    app.state.predictor = predictor
    app.add_middleware(BodyLimit, limit=limits.get("request_bytes"))
    app.add_middleware(InternalErrors)
    _add_error_handlers(app)

    async def off_loop(function, *args):
        async with slots:
            return await run_in_threadpool(function, *args)

    @app.get("/health", summary="Whether the server answers")
    async def health():
        return {"status": "ok", "pid": os.getpid()}

    @app.get("/info", summary="The run: task, classes, inputs, model, test figures, limits")
    async def run_info():
        return Response(info, media_type="application/json")

    @app.post("/predict", summary="Predict rows, pixel arrays or picture files",
              openapi_extra=PREDICT_BODY, responses=PREDICT_RESPONSES)
    async def predict(request: Request,
                      top_k: int = Query(3, ge=1, description="How many of the most likely "
                                         "classes to list (at most all of them)"),
                      invert: str = Query("auto", pattern="^(auto|yes|no)$",
                                          description="Fashion-MNIST runs: make pictures "
                                          "light-on-dark, auto when the background is light"),
                      prepare: str = Query("auto", pattern="^(auto|photo|none)$",
                                           description="Fashion-MNIST runs: photo fits a "
                                           "picture as the data set's were made, none takes a "
                                           "28x28 one as it is, auto decides (nnfs predict "
                                           "--prepare)")):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in JSON_TYPES or kind.endswith("+json"):
            body = await request.body()
            answer = await off_loop(lambda: encode(predictor.predict_json(body, top_k)))
        elif kind == FORM_TYPE:
            files = await _pictures(request)
            answer = await off_loop(
                lambda: encode(predictor.predict_pictures(files, top_k, invert, prepare)))
        else:
            raise Unsupported(f"Content-Type {kind or 'none'} is not taken; send "
                              f"application/json or {FORM_TYPE} (picture files)"[:300])
        return Response(answer, media_type="application/json")

    return app


def from_environment():
    """The app for the run named by NNFS_SERVE_RUN (params_best.pkl if NNFS_SERVE_BEST=1),
    for an ASGI server's factory option; `nnfs serve --workers N` starts its workers so."""
    run_dir = os.environ.get(RUN_VARIABLE)
    if not run_dir:
        raise NnfsError(f"{RUN_VARIABLE} is not set; set it to the run directory to serve")
    return create_app(run_dir, best=os.environ.get(BEST_VARIABLE) == "1")


async def _pictures(request):
    """[(name, bytes)] of the form's files, in order; RequestError for anything else."""
    from python_multipart.exceptions import FormParserError
    limit = limits.get("request_rows")
    try:
        form = await request.form(max_files=limit + 1, max_fields=limit + 1)
    except HTTPException as error:   # Starlette's words for the parser's refusal
        if "Too many" in str(error.detail):
            raise TooLarge(f"pictures: more than the limit of {limit:,} in one request "
                           f"{limits.hint('request_rows')}") from None
        raise Malformed(f"not a readable multipart form: {error.detail}"[:300]) from None
    except FormParserError as error:   # the parser's own, which Starlette 0.41 lets through
        raise Malformed(f"not a readable multipart form: {error}"[:300]) from None
    try:
        files = []
        for index, (field, value) in enumerate(form.multi_items()):
            if isinstance(value, str):
                raise RequestError(f"form field {field[:100]!r} is not a file; send the "
                                   "pictures as files")
            files.append((_upload_name(value.filename, index), await value.read()))
        return files
    finally:
        await form.close()


def _upload_name(filename, index):
    """An upload's file name as messages and answers show it: one line, not too long."""
    name = "".join(char for char in filename or "" if char.isprintable())[:200]
    return name or f"file {index}"


class InternalErrors:
    """ASGI middleware: an exception nothing else handled is a 500 with a one-line JSON
    error, its traceback in the server's log; the connection stays usable, as it would not
    if the exception reached the server."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:   # noqa: BLE001 - the last resort
            if scope["type"] != "http" or started:
                raise
            logging.getLogger("uvicorn.error").error(
                "internal error answering %s %s", scope.get("method"), scope.get("path"),
                exc_info=True)
            await _send_error(send, 500, f"internal error ({type(error).__name__}); the "
                                         "server's log has the traceback")


class BodyLimit:
    """ASGI middleware: refuse a body past `limit` bytes with 413, by its Content-Length
    before reading it, and while it arrives (a chunked body has none, and a declared length
    is only a claim)."""

    def __init__(self, app, limit):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await _send_error(send, 413, self._message(f"has {int(declared):,} bytes, "))
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge(self._message("is "))
            return message

        await self.app(scope, limited, send)

    def _message(self, what):
        return (f"the request body {what}more than the limit of {self.limit:,} bytes "
                f"{limits.hint('request_bytes')}")


async def _send_error(send, status, message):
    body = encode({"error": message})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _add_error_handlers(app):
    def error(status, message):
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(RequestError)
    async def refused(request, exc):
        return error(exc.status, str(exc))

    @app.exception_handler(NnfsError)
    async def unusable(request, exc):   # the data set's own checks: columns, pictures...
        return error(422, " ".join(str(exc).split()))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        problems = [f"{'.'.join(str(part) for part in problem['loc'][1:])}: {problem['msg']}"
                    for problem in exc.errors()]
        return error(422, "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def http_error(request, exc):
        return error(exc.status_code, str(exc.detail))


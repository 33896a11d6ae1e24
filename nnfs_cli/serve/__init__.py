"""`nnfs serve`: a trained run's predictions over HTTP (the `serve` extra: FastAPI, uvicorn).

    predictor.py   requests -> model inputs, checked in predict's words; the answers
    app.py         the ASGI app: routes, the body limit, errors as JSON
    server.py      uvicorn in this process or in workers, the URL, signals
"""

"""``lingosum serve``: LibreTranslate's HTTP API and a web page over one engine, with the
sentences of concurrent requests batched into shared model calls.

Modules: ``config`` (settings), ``limits`` (keys, rate and text limits), ``batcher`` (the
cross-request micro-batcher), ``jobs`` (the engine calls), ``fields`` (request parsing),
``languages``, ``middleware`` (CORS, body cap), ``app`` (the Starlette app) and ``server``
(binding and running uvicorn). Importing this package imports neither Starlette nor uvicorn.
"""

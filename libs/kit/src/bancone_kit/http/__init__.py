"""HTTP runtime: app factory, RFC 9457 problem responses, request ids, health and readiness,
request authentication (`auth`).

Import from the modules (`bancone_kit.http.app`, `.errors`, ...). `errors` imports no web
framework, so domain code can raise `ProblemError` subclasses without depending on FastAPI.
"""

"""HTTP runtime: app factory, RFC 9457 problem responses, request ids, health and readiness,
request authentication (`auth`).

Import from the modules (`bancone_kit.http.app`, `.errors`, ...). `errors` imports no web
framework: a service's exception → problem table can be read without FastAPI.
"""

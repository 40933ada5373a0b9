#!/usr/bin/env python3
"""Run localstripe (a Stripe API fake) for development and tests, the safe way.

Usage: .venv/bin/python scripts/localstripe_server.py [--host 127.0.0.1] [--port 8420]
           [--state-file PATH] [--webhook URL --webhook-secret SECRET]

Plain ``localstripe`` listens on every interface (``::``) and keeps its state in the one
file /tmp/localstripe.pickle shared by everybody on the machine. This launcher runs the
same aiohttp app, but:

- bound to ``--host`` (127.0.0.1 unless told otherwise);
- with its state in memory only, or in ``--state-file`` (``make run`` keeps it in
  instance/ so payments survive a restart of the dev server);
- with ``DELETE /_config/reset``, which forgets every object, registered webhook and
  idempotency key (the tests call it between tests);
- honouring ``Idempotency-Key`` as Stripe does (localstripe itself ignores the header):
  a POST repeated with the same key gets the first answer again, and the same key with
  other parameters gets Stripe's 400 ``idempotency_error``. The app relies on these
  semantics in production, so the tests can check the keys it sends;
- serving localstripe's Stripe.js (``/js.stripe.com/v3/``) wrapped in a function, so that
  only ``window.Stripe`` reaches the page: as shipped, its top-level ``class Element``
  shadows the browser's DOM ``Element`` for every script of the page (Bootstrap's event
  handlers then fail with "Cannot read properties of undefined (reading 'call')");
- optionally registering one webhook endpoint at start (``make run`` points localstripe's
  events at the dev server's /payments/webhook).

Exits with status 3 when localstripe is not installed, 4 when the port is taken.
"""
import argparse
import asyncio
import errno
import hashlib
import os
import pickle
import socket
import sys

try:
    from aiohttp import web
    from localstripe import resources, server, webhooks
except ImportError as exc:  # pragma: no cover
    print(f"localstripe_server: cannot import localstripe ({exc}); install "
          "requirements-dev.txt into the venv", file=sys.stderr)
    sys.exit(3)


def keep_state_in(path):
    """Point localstripe's save/load at ``path`` (None: keep everything in memory)."""
    def dump_to_disk(store):
        if path is None:
            return
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # never leave a half-written file behind

    def try_load_from_disk(store):
        if path is None or not os.path.exists(path):
            return
        with open(path, "rb") as f:
            saved = pickle.load(f)
        dict.clear(store)
        dict.update(store, saved)

    resources.Store.dump_to_disk = dump_to_disk
    resources.Store.try_load_from_disk = try_load_from_disk


# --- Stripe's idempotency semantics ------------------------------------------------------

_idempotent_answers = {}   # (api key, Idempotency-Key) -> (request hash, status, body)
_in_flight = set()         # keys whose first request is still being handled


def _api_key(request):
    return request.headers.get("Authorization", "")


@web.middleware
async def idempotency_middleware(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or request.path.startswith("/_config/"):
        return await handler(request)
    body = await request.read()
    request_hash = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
    cache_key = (_api_key(request), key)
    seen = _idempotent_answers.get(cache_key)
    if seen is not None:
        first_hash, status, first_body = seen
        if first_hash != request_hash:
            return web.json_response({"error": {
                "type": "idempotency_error",
                "message": "Keys for idempotent requests can only be used with the same "
                           "parameters they were first used with."}}, status=400)
        response = web.Response(status=status, body=first_body,
                                content_type="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if cache_key in _in_flight:
        # Stripe answers a concurrent request with the same key so, rather than run it twice
        return web.json_response({"error": {
            "type": "idempotency_error",
            "message": "There is currently another in-progress request using this "
                       "Idempotent Key (that probably means you submitted twice, and the "
                       "other request is still going through): please try again later."}},
            status=409)
    _in_flight.add(cache_key)
    try:
        response = await handler(request)
    finally:
        _in_flight.discard(cache_key)
    # Stripe keeps every answer but those of requests that never ran (401, 429, 5xx).
    if response.status not in (401, 429) and response.status < 500:
        _idempotent_answers[cache_key] = (request_hash, response.status, response.body)
    return response


# --- Stripe.js without globals -------------------------------------------------------------

STRIPE_JS_PATH = "/js.stripe.com/v3/"


def wrapped_stripe_js():
    """localstripe's Stripe.js, unchanged but for a function scope around it: its
    ``class Element``, ``openModal`` and ``LOCALSTRIPE_BASE_API`` stay private and only
    ``window.Stripe`` is exposed. (``document.currentScript``, which it reads to find its
    own address, is still this script while the function runs.)"""
    path = os.path.join(os.path.dirname(os.path.realpath(server.__file__)),
                        "localstripe-v3.js")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    return ("(function () {\nvar Stripe;\n" + source
            + "\n;window.Stripe = Stripe;\n})();\n")


@web.middleware
async def stripe_js_middleware(request, handler):
    if request.method in ("GET", "HEAD") and request.path == STRIPE_JS_PATH:
        return web.Response(text=wrapped_stripe_js(), content_type="application/javascript")
    return await handler(request)


async def reset(request):
    resources.store.clear()
    resources.store.dump_to_disk()
    webhooks._webhooks.clear()
    _idempotent_answers.clear()
    _in_flight.clear()
    return web.Response()


def build_app():
    app = server.app
    # Outermost, so it sees the answers localstripe's error middleware makes of errors.
    app.middlewares.insert(0, idempotency_middleware)
    app.middlewares.insert(0, stripe_js_middleware)
    app.router.add_delete("/_config/reset", reset)
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state-file", help="keep the state here (default: memory only)")
    parser.add_argument("--webhook", help="deliver events to this URL")
    parser.add_argument("--webhook-secret", help="signing secret of --webhook")
    args = parser.parse_args(argv)
    if bool(args.webhook) != bool(args.webhook_secret):
        parser.error("--webhook and --webhook-secret go together")

    keep_state_in(os.path.abspath(args.state_file) if args.state_file else None)
    resources.store.try_load_from_disk()
    if args.webhook:
        webhooks.register_webhook("app", args.webhook, args.webhook_secret, None)
    app = build_app()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        print(f"localstripe_server: cannot listen on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 4 if exc.errno == errno.EADDRINUSE else 1
    print(f"localstripe_server: listening on http://{args.host}:{args.port} "
          f"(state: {args.state_file or 'memory only'})", flush=True)
    asyncio.set_event_loop(asyncio.new_event_loop())
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

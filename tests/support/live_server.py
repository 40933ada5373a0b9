"""Serve a Flask app on 127.0.0.1 from a background thread, for browser tests.

The app is served by werkzeug's threaded development server: every request runs in its
own thread with its own app context, as under a real server, so the test's own pushed app
context (and its ``g``) is never shared with the requests.
"""
import socket
import threading
import time

from werkzeug.serving import make_server

from tests.support.ports import free_port


class LiveServer:
    def __init__(self, app, host="127.0.0.1", port=None):
        self.app = app
        self.host = host
        self.port = port or free_port()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self, timeout=5.0):
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"live-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while True:  # the socket listens as soon as make_server returns; check anyway
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the live server did not start on {self.url}")
                time.sleep(0.05)

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

"""A scripted HTTP server for the shared transport's edge cases (no upstream involved)."""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Scripted:
    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class ScriptedServer:
    """Answers requests from a script, in order (the last answer repeats), and records them."""

    def __init__(self):
        self.script: deque[Scripted] = deque()
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                answer = outer.script.popleft() if len(outer.script) > 1 else outer.script[0]
                time.sleep(answer.delay)
                payload = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, *answers: Scripted) -> None:
        self.script.clear()
        self.script.extend(answers)


@pytest.fixture
def scripted_server():
    server = ScriptedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def onence_credentials(live_server, settings):
    """The default account, pointed at the 1NCE simulator served by ``live_server``."""
    from upstream.onence import OnenceCredentials

    return OnenceCredentials(
        base_url=f"{live_server.url}/sim/1nce/management-api",
        client_id=settings.ONENCE_CLIENT_ID,
        client_secret=settings.ONENCE_CLIENT_SECRET,
    )


@pytest.fixture
def make_onence(onence_credentials):
    """``make_onence(**kwargs)`` builds a real OnenceClient (own session, like another process)."""
    from upstream.http import RetryPolicy
    from upstream.onence import OnenceClient

    clients = []

    def make(credentials=None, **kwargs):
        kwargs.setdefault("retry_policy", RetryPolicy(max_retries=3, base_delay=0.05))
        client = OnenceClient(credentials or onence_credentials, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def onence(make_onence):
    return make_onence()

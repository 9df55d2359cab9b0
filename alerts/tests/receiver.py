"""A webhook receiver over real loopback HTTP, for tests and the benchmark.

It records every request (headers and raw body), can be told to fail (``answer = 500``) or
to be down (``stop()``: the listening socket and every kept-alive connection closed, as a
receiver that went away; a sender's pooled connection must not reach it any more), and
counts deliveries by ``X-FleetOps-Delivery`` as a receiver that drops repeats would.
"""

import contextlib
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.answer = 204
        self.delay = 0.0  # seconds each answer takes (a slow receiver)
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "received_at": time.time(),
                        }
                    )
                    answer = receiver.answer
                time.sleep(receiver.delay)
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivery_ids(self) -> Counter:
        with self.lock:
            return Counter(r["headers"].get("X-FleetOps-Delivery") for r in self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the sender
                connection.shutdown(socket.SHUT_RDWR)

"""A real HTTPS webhook receiver for the chat tests: `http.server` in a thread, with a
self-signed certificate for `localhost` made by openssl for the test session. It records every
request and answers from a script (a status and a body per request, then 200 "ok")."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait between bytes of the body: a receiver that never finishes answering.
    drip: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.port = server.server_address[1]
        self.requests: list[Received] = []
        self.script: list[Answer] = []

    def url(self, path: str = "/services/T000/B000/secretpart") -> str:
        return f"https://localhost:{self.port}{path}"

    def answer_next(self, *answers: Answer) -> None:
        self.script.extend(answers)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            answer = receiver.script.pop(0) if receiver.script else Answer()
            payload = answer.body.encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not answer.drip:
                self.wfile.write(payload)
                return
            try:
                for byte in payload:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(answer.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for `localhost`, by openssl (skips the test without)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the receiver's certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def running_receiver(cert: Path, key: Path) -> Iterator[Receiver]:
    """A receiver serving HTTPS on 127.0.0.1 in a thread, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    receiver = Receiver(server)
    server.RequestHandlerClass = _handler(receiver)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

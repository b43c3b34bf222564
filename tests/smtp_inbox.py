"""A real SMTP server for the tests and bench/notify_latency.py (aiosmtpd on 127.0.0.1), which
can refuse the first messages with a temporary (451) or permanent (550) error."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    host: str = "127.0.0.1"
    port: int = 0
    # How many messages to refuse first, and with what answer.
    refuse: int = 0
    answer: str = "451 4.3.0 Mailbox busy, try again later"
    messages: list[EmailMessage] = field(default_factory=list)
    # Each message as it came over the wire.
    raw: list[bytes] = field(default_factory=list)
    # When each message arrived (time.monotonic()), in the order of `messages`.
    arrived: list[float] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.refuse:
                self.refuse -= 1
                self.refused += 1
                return self.answer
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.raw.append(envelope.original_content)
            self.arrived.append(time.monotonic())
        return "250 2.0.0 OK"

    def settings(self) -> dict[str, Any]:
        """MAILERS for our SMTP backend (briefs.mail_backend) to this server."""
        return {
            "default": {
                "BACKEND": "briefs.mail_backend.EmailBackend",
                "OPTIONS": {"host": self.host, "port": self.port, "use_tls": False, "timeout": 5},
            }
        }

    def environment(self) -> dict[str, str]:
        """The same, as a worker process reads it (escalation/settings.py)."""
        return {"EMAIL_HOST": self.host, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_inbox(**options: Any) -> Iterator[Inbox]:
    inbox = Inbox(port=free_port(), **options)
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()

"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can refuse mail for a while."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One mail as the server took it: envelope sender and recipients, and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def text(self) -> str:
        """The plain-text part."""
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        """The HTML part."""
        return self.message.get_body(("html",)).get_content()


class SmtpSink:
    """Accepts every mail on 127.0.0.1, except the next `refusing` ones, answered 451 (try again later)."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusing = 0
        with socket.socket() as probe:  # a free port (aiosmtpd's controller checks the port it is given)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """MARKET_SMTP_URL for this server."""
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        """Keep the mail, or refuse it for now."""
        if self.refusing:
            self.refusing -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"

    def start(self) -> None:
        """Listen."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), recording every message."""
import email
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.support.ports import free_port


class _Recorder:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        if self.server.refuse:
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content)
        with self.server.lock:
            self.server.messages.append(message)
        return "250 OK"


class RecordingSMTPServer:
    def __init__(self):
        self.messages = []
        self.refuse = False
        self.lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(_Recorder(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message):
        if message.is_multipart():
            message = message.get_payload(0)
        return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")

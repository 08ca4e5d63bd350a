"""A real SMTP server on loopback, in a thread, that can be made to hang.

Modes (switchable while it runs):

* ``hang``: accepts the TCP connection and never says anything, like a mail server whose
  process is stuck: the client waits for the greeting.
* ``hang_after_data``: a normal conversation up to the end of the message, which it keeps, and
  then no answer to it: the server has the message, the client never learns that.
* ``answer``: a normal SMTP conversation; every message is kept.
"""

import contextlib
import email
import socket
import threading
from email.message import Message


class SmtpServer:
    def __init__(self, mode: str = "answer"):
        self.mode = mode
        self.messages: list[Message] = []
        self.connections = 0
        self.connected = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="smtp-server")

    def __enter__(self) -> "SmtpServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._sockets:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(conn)
            self.connections += 1
            self.connected.set()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self.mode == "hang":
            self._stop.wait()  # hold the connection open, say nothing
            return
        reader = conn.makefile("rb")

        def reply(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        try:
            reply("220 test.localhost ESMTP")
            while True:
                line = reader.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    reply("250 test.localhost")
                elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                    reply("250 OK")
                elif command == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    data = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    self.messages.append(email.message_from_bytes(b"".join(data)))
                    if self.mode == "hang_after_data":
                        self._stop.wait()
                        return
                    reply("250 OK queued")
                elif command == "QUIT":
                    reply("221 Bye")
                    return
                else:
                    reply("502 Command not implemented")
        except OSError:
            return

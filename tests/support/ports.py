"""A free TCP port on the loopback for a server a test starts (the app, SMTP, Redis,
localstripe): the system picks it, so parallel test runs never collide."""
import socket


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]

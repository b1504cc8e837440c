"""Ports on this machine for servers the tests start, or for nothing at all."""
import socket


def free_port() -> int:
    """A port nothing listens on (bound then released): a server may take it, and until one
    does, connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

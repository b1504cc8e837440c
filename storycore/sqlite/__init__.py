"""Django's SQLite backend with queued writers (base.py), and the one helper callers need."""
from contextlib import nullcontext


def write_turn(connection):
    """The writer's turn for statements run outside a transaction (base.DatabaseWrapper.
    write_turn); other backends have no such turn to wait for."""
    turn = getattr(connection, "write_turn", None)
    return turn() if turn is not None else nullcontext()

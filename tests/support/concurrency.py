"""Run the same call from several threads released at one moment (each with its own
database connection), to make workers race for the same rows."""
import threading

from django.db import connection


def race(target, *, threads: int) -> list:
    """target(i) in `threads` threads started together; returns their results in order."""
    results, barrier = [None] * threads, threading.Barrier(threads)

    def worker(i):
        try:
            barrier.wait()
            results[i] = target(i)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    return results

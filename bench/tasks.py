"""The worker baseline: a django-q2 task that does nothing but note when it finished."""
import time


def noop(number: int, finished_log: str) -> None:
    """Append the finish time to a file (tens of microseconds): the benchmark times the run
    from these, whatever django-q2's save_limit keeps of its own task results."""
    with open(finished_log, "a") as log:
        log.write(f"{time.time()}\n")

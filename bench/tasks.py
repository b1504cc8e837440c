"""The worker baseline: a django-q2 task that does nothing."""


def noop(number: int) -> None:
    return None

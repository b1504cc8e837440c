"""Choose this process's django-q2 broker for a test, whatever broker the run configures
(`patch` is a pytest monkeypatch or one of its contexts)."""
from django_q.conf import Conf

REDIS_DOWN = "redis://127.0.0.1:9/0"  # nothing listens on port 9: every enqueue is refused
JOB_TABLE_BROKER = "automation.broker.JobTableBroker"


def use_redis_broker(patch, url: str = REDIS_DOWN) -> None:
    patch.setattr(Conf, "BROKER_CLASS", None)
    patch.setattr(Conf, "ORM", None)
    patch.setattr(Conf, "REDIS", url)
    patch.setattr(Conf, "DJANGO_REDIS", None)


def use_orm_broker(patch) -> None:
    """django-q2's own ORM broker, on the default database."""
    patch.setattr(Conf, "BROKER_CLASS", None)
    patch.setattr(Conf, "ORM", "default")


def use_job_table_broker(patch) -> None:
    """The embedded default's broker (automation/broker.py), on the default database."""
    patch.setattr(Conf, "BROKER_CLASS", JOB_TABLE_BROKER)
    patch.setattr(Conf, "ORM", "default")

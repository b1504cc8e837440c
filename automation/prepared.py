"""An INSERT compiled by Django before the transaction that runs it.

On SQLite a write transaction holds the whole database: storycore/sqlite queues the
writers, and each waits until the one before commits. Under load, a Python thread inside
that turn also waits for the GIL between its steps, so every microsecond of Python
between BEGIN and COMMIT cost several for each writer queued behind it. Model.save
compiles its INSERT (field values prepared, SQL assembled) after BEGIN: for a new job that
was most of the turn (held 0.7 ms at the median and 4 ms at the 90th percentile under the
benchmark's load; 0.3 and 3 ms once compiled before). `prepare_insert` runs Django's own
insert compiler, the one Model.save ends in, before the transaction; only the statement
runs inside it, and when it is the whole write, it is its own transaction.
"""
from dataclasses import dataclass

from django.db import connections, models, router, transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery

from storycore.sqlite import write_turn


@dataclass(frozen=True)
class PreparedInsert:
    instance: models.Model
    using: str
    sql: str
    params: tuple

    def execute(self) -> models.Model:
        """Insert the row and leave the instance as Model.save leaves it.

        Inside the caller's transaction, in a savepoint (a refused row leaves that
        transaction usable); otherwise the one statement commits by itself, on SQLite
        within the writer's turn (storycore.sqlite's `write_turn`): no BEGIN and COMMIT of
        its own, so the turn is held for one call into SQLite."""
        connection = connections[self.using]
        if connection.in_atomic_block:
            context = transaction.atomic(using=self.using)
        else:
            context = write_turn(connection)
        with context, connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
        self.instance._state.adding = False
        self.instance._state.db = self.using
        return self.instance


def prepare_insert(instance: models.Model) -> PreparedInsert:
    """The INSERT that `instance.save(force_insert=True)` would run, field values included
    (defaults, auto_now dates set on the instance now).

    For a model whose primary key is set before it is saved (nothing to read back), with no
    parent model, and that no pre_save/post_save receiver listens to: save() would send
    those signals; this refuses such a model rather than skip them.
    """
    model, meta = type(instance), instance._meta
    if instance.pk is None or meta.parents or meta.db_returning_fields:
        raise ValueError(f"prepare_insert needs a {meta.label} with its primary key set and nothing to read back.")
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        raise ValueError(f"{meta.label} has pre_save/post_save receivers: save it with save().")
    using = router.db_for_write(model, instance=instance)
    query = InsertQuery(model)
    query.insert_values([field for field in meta.local_concrete_fields if not field.generated], [instance])
    [(sql, params)] = query.get_compiler(using=using).as_sql()
    return PreparedInsert(instance=instance, using=using, sql=sql, params=tuple(params))

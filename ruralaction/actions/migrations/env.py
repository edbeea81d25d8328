"""Alembic environment: runs on the connection :func:`ruralaction.actions.db.migrate` passes in.

There is no ``alembic.ini``: the app migrates itself on start. To write a new revision, copy the
newest file in ``versions/`` (ids are sequential: 0001, 0002, …) and set ``down_revision``.
"""

from alembic import context

from ruralaction.actions.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through ruralaction.actions.db.migrate(engine).")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()

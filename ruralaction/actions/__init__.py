"""The action tracker: partners' visible actions in a real database, with accountable editing.

Modules
-------
db
    Where the database is (``RURALACTION_DB_URL``, default a SQLite file in the data dir),
    engines, transactions, and migrating the schema in place (Alembic, scripts in ``migrations/``).
models
    The tables: actions (+ wards, supporting partners), users, sign-in failures, audit log.
principal
    Who an actor is now (role and partner from the account row).
users
    Accounts, Argon2 password hashes, rate-limited sign-in.
tracker
    Validate, add, edit (optimistic locking), soft-delete, restore, list and filter actions.
audit
    The audit log and an action's history.
transfer
    CSV export and validated, idempotent import.
measure
    Incidents before and after an action, with the small-numbers caution.
places
    Actions as map points and per-ward counts.
demo
    Believable demo actions for the demo dataset.
vocab
    Partners, issues and action types (``vocabulary.toml``), statuses.

Who may do what (:class:`Actor`, :class:`Role`, :class:`Permission`, :func:`can`) is
:mod:`ruralaction.permissions`, below every stage, so the data store checks roles too.
"""

from __future__ import annotations

from ruralaction.actions.audit import history
from ruralaction.actions.db import (
    DatabaseError,
    database_url,
    make_engine,
    migrate,
    open_database,
)
from ruralaction.actions.demo import ensure_demo_actions, seed_demo_actions
from ruralaction.actions.measure import SMALL_NUMBER, BeforeAfter, before_after
from ruralaction.actions.places import action_points, ward_summary
from ruralaction.actions.tracker import (
    ActionError,
    ActionInput,
    ActionNotFound,
    ActionRecord,
    ConflictError,
    ValidationError,
    add_action,
    delete_action,
    filter_actions,
    get_action,
    list_actions,
    restore_action,
    update_action,
)
from ruralaction.actions.transfer import (
    ImportFileError,
    ImportReport,
    export_csv,
    export_frame,
    import_csv,
)
from ruralaction.actions.users import (
    SignInError,
    TooManyAttempts,
    UserError,
    add_user,
    identify,
    sign_in,
)
from ruralaction.actions.vocab import STATUSES, Vocabulary, load_vocabulary
from ruralaction.permissions import (
    ANONYMOUS,
    Actor,
    Permission,
    PermissionDenied,
    Role,
    can,
    require,
)

__all__ = [
    "ANONYMOUS",
    "ActionError",
    "ActionInput",
    "ActionNotFound",
    "ActionRecord",
    "Actor",
    "BeforeAfter",
    "ConflictError",
    "DatabaseError",
    "ImportFileError",
    "ImportReport",
    "Permission",
    "PermissionDenied",
    "Role",
    "SMALL_NUMBER",
    "STATUSES",
    "SignInError",
    "TooManyAttempts",
    "UserError",
    "ValidationError",
    "Vocabulary",
    "action_points",
    "add_action",
    "add_user",
    "before_after",
    "can",
    "database_url",
    "delete_action",
    "ensure_demo_actions",
    "export_csv",
    "export_frame",
    "filter_actions",
    "get_action",
    "history",
    "identify",
    "import_csv",
    "list_actions",
    "load_vocabulary",
    "make_engine",
    "migrate",
    "open_database",
    "require",
    "restore_action",
    "seed_demo_actions",
    "sign_in",
    "update_action",
    "ward_summary",
]

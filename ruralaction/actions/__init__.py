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
    Accounts: add, list, change role or partner, disable, reset a password (admins only).
passwords
    The password policy (length, ``zxcvbn``'s list of what attackers try first) and Argon2id.
signin
    Password sign-in within limits per account, client and known browser, counted atomically.
sessions
    Signed, revocable sign-in cookies backed by the ``user_sessions`` table.
codes
    One-time codes: a new account's first password, a reset, the first admin.
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
from ruralaction.actions.codes import (
    CodeError,
    OneTimeCode,
    admin_exists,
    create_first_admin,
    issue_first_admin_code,
    set_password_with_code,
)
from ruralaction.actions.db import (
    DatabaseError,
    database_url,
    make_engine,
    migrate,
    open_database,
)
from ruralaction.actions.demo import ensure_demo_actions, seed_demo_actions
from ruralaction.actions.measure import SMALL_NUMBER, BeforeAfter, before_after
from ruralaction.actions.passwords import PasswordPolicyError, check_password
from ruralaction.actions.places import action_points, ward_summary
from ruralaction.actions.sessions import CookieSigner, end_session, session_actor
from ruralaction.actions.signin import SignedIn, SignInError, TooManyAttempts, sign_in
from ruralaction.actions.tracker import (
    ActionError,
    ActionInput,
    ActionNotFound,
    ActionRecord,
    ConflictError,
    ValidationError,
    actions_stamp,
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
    UnverifiedEmail,
    UserError,
    UserInfo,
    add_user,
    identify,
    identify_provider_user,
    issue_password_code,
    list_users,
    set_active,
    sign_out_everywhere,
    update_user,
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
    "CodeError",
    "ConflictError",
    "CookieSigner",
    "DatabaseError",
    "ImportFileError",
    "ImportReport",
    "OneTimeCode",
    "PasswordPolicyError",
    "Permission",
    "PermissionDenied",
    "Role",
    "SMALL_NUMBER",
    "STATUSES",
    "SignInError",
    "SignedIn",
    "TooManyAttempts",
    "UnverifiedEmail",
    "UserError",
    "UserInfo",
    "ValidationError",
    "Vocabulary",
    "action_points",
    "add_action",
    "add_user",
    "admin_exists",
    "before_after",
    "can",
    "check_password",
    "create_first_admin",
    "database_url",
    "delete_action",
    "end_session",
    "ensure_demo_actions",
    "export_csv",
    "export_frame",
    "filter_actions",
    "get_action",
    "history",
    "identify",
    "identify_provider_user",
    "import_csv",
    "issue_first_admin_code",
    "issue_password_code",
    "list_actions",
    "actions_stamp",
    "list_users",
    "load_vocabulary",
    "make_engine",
    "migrate",
    "open_database",
    "require",
    "restore_action",
    "seed_demo_actions",
    "session_actor",
    "set_active",
    "set_password_with_code",
    "sign_in",
    "sign_out_everywhere",
    "update_action",
    "update_user",
    "ward_summary",
]

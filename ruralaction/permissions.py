"""Who may do what to which action: explicit objects, checked inside every write function.

A page or command says who is asking (an :class:`Actor`); the write functions look the account
up again in the same transaction (:func:`ruralaction.actions.users.principal`), so a role
changed or an account disabled a second ago is already in force, and an ``Actor`` built with a
role it does not have gets nothing from it.

============================  =========  ==============================  =======
permission                    anonymous  editor (of partner P)           admin
============================  =========  ==============================  =======
view actions and aggregates   yes        yes                             yes
view an action's history      no         yes                             yes
add an action                 no         when its lead partner is P      yes
edit / delete an action       no         when its lead partner is P      yes
restore a deleted action      no         no                              yes
see deleted actions           no         no                              yes
manage users                  no         no                              yes
review residents' concerns    no         no                              yes
manage digest subscribers     no         no                              yes
change the data shown         no         no                              yes
============================  =========  ==============================  =======

"Change the data shown" is every write of the data store (:mod:`ruralaction.incidents.store`):
adding incident files, boundaries or lookups, deleting an upload, the dataset switch, building
the demo, fetching from police.uk, undoing a change or going back to an earlier version.

A signed-in person without an account row (someone the council's identity provider knows but
nobody gave a role) can view, like anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an account may do. ``editor`` is a partner editor (tied to one partner)."""

    EDITOR = "editor"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW = "view actions"
    VIEW_HISTORY = "view an action's history"
    ADD = "add actions"
    EDIT = "edit actions"
    DELETE = "delete actions"
    RESTORE = "restore deleted actions"
    VIEW_DELETED = "see deleted actions"
    MANAGE_USERS = "manage users"
    #: See residents' concerns with their names and contact details, review and link them.
    REVIEW_CONCERNS = "review residents' concerns"
    #: See digest subscribers' emails and remove subscriptions.
    MANAGE_SUBSCRIPTIONS = "manage digest subscribers"
    #: Every write of the data store: uploads, geography, deleting an upload, the dataset
    #: switch, the demo build, fetch, undo and going back to a version.
    MANAGE_DATA = "change the data shown"


#: Permissions an editor has only for actions whose lead partner is the editor's own partner.
_OWN_PARTNER = {Permission.ADD, Permission.EDIT, Permission.DELETE}
_EDITOR = {Permission.VIEW, Permission.VIEW_HISTORY, *_OWN_PARTNER}


class PermissionDenied(PermissionError):
    """The actor may not do this; the message says why in one sentence."""


@dataclass(frozen=True)
class Actor:
    """Someone asking to read or change actions.

    Attributes
    ----------
    email : str or None
        The account (lower-case); None for an anonymous visitor.
    role : Role or None
        None for anonymous visitors and for people signed in without an account row.
    partner : str or None
        An editor's partner ("Police", "Fire and Rescue", …).
    name : str
        Display name.
    system : bool
        A trusted in-process caller (a command run by whoever holds the database credentials,
        the demo seeding). Its role is taken as given rather than looked up.
    """

    email: str | None = None
    role: Role | None = None
    partner: str | None = None
    name: str = ""
    system: bool = False

    @classmethod
    def system_actor(cls, name: str) -> Actor:
        """An admin-rights actor for commands and seeding, recorded in the audit as ``name``."""
        return cls(email=name, role=Role.ADMIN, name=name, system=True)

    @property
    def anonymous(self) -> bool:
        return self.email is None

    @property
    def label(self) -> str:
        """How the audit log and messages name the actor."""
        return self.email or "anonymous"


ANONYMOUS = Actor()


def command_line_actor() -> Actor:
    """Whoever runs a command (``python -m ruralaction …``): they hold the data directory and the
    database credentials, so they act with an admin's rights, recorded as ``command line (<login>)``."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.system_actor(f"command line ({name})")


def can(actor: Actor, permission: Permission, partner: str | None = None) -> bool:
    """Whether ``actor`` has ``permission``; for add/edit/delete, on an action led by ``partner``.

    Parameters
    ----------
    actor : Actor
    permission : Permission
    partner : str, optional
        The lead partner of the action concerned (for ``ADD``, of the action being added).
        Without it, the question is "on some action".
    """
    if permission is Permission.VIEW:
        return True
    if actor.role is Role.ADMIN:
        return True
    if actor.role is not Role.EDITOR or permission not in _EDITOR:
        return False
    if permission in _OWN_PARTNER:
        return actor.partner is not None and (partner is None or partner == actor.partner)
    return True


def require(actor: Actor, permission: Permission, partner: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can` says yes."""
    if can(actor, permission, partner):
        return
    if actor.anonymous:
        raise PermissionDenied(f"Sign in to {permission.value}.")
    if actor.role is None:
        raise PermissionDenied(f"{actor.label} has no role here; ask an admin for one to {permission.value}.")
    if actor.role is Role.EDITOR and permission in _OWN_PARTNER and partner is not None:
        raise PermissionDenied(f"{actor.label} edits {actor.partner} actions only; this one is led by {partner}.")
    raise PermissionDenied(f"Only an admin may {permission.value}.")

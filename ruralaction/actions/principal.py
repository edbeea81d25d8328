"""Who an actor really is: the role and partner the database holds for them now.

Shared by the audit log (who may read history), the action tracker, imports, concerns and
accounts, so it sits below all of them and imports none of them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ruralaction.actions.models import User
from ruralaction.permissions import Actor, Role


def normalise_email(email: str) -> str:
    return email.strip().lower()


def actor_of(user: User) -> Actor:
    """The :class:`Actor` an account row stands for."""
    return Actor(email=user.email, role=Role(user.role), partner=user.partner, name=user.name)


def principal(session: Session, actor: Actor) -> Actor:
    """``actor`` as the database knows it now: role and partner from the account row.

    System actors are taken as given; an email with no active account has no role.
    """
    if actor.system or actor.anonymous:
        return actor
    user = session.scalar(select(User).where(User.email == normalise_email(actor.email)))
    if user is None or not user.active:
        return Actor(email=normalise_email(actor.email), name=actor.name)
    return actor_of(user)

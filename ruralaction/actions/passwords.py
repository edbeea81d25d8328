"""Passwords: the policy a new password must meet, and how passwords are hashed and checked.

Hashes are Argon2id (``argon2-cffi``: salted, deliberately slow and memory-hard, its parameters
inside the hash so they can be raised later). Checking a hash takes the same time whether or
not the account exists (:func:`verify` against a dummy hash), and it is never done inside a
database transaction: a slow hash must not hold the write lock that a resident's concern is
waiting for.

The policy follows the UK NCSC and NIST SP 800-63B: a long minimum length, no composition rules,
and a check against what attackers try first. That check is ``zxcvbn`` (Dropbox's estimator:
lists of the most common passwords, words and names, keyboard patterns, repeats like
``aaaaaaaaaa`` and sequences like ``1234567890``), which also says *why* a password is weak.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's score (0–4) a password needs: 3 means "safely unguessable: moderate protection from
#: an offline slow-hash attack" (at least 10^8 guesses), the bar Dropbox and NCSC-style
#: policies use with Argon2-hashed storage and throttled sign-in.
MIN_SCORE = 3
#: zxcvbn's run time grows with length; what comes after this many characters only adds strength.
_STRENGTH_CHECKED = 100
#: Words anyone attacking this service would try (with the person's own email and name).
SERVICE_WORDS = ("rural", "action", "ruralaction", "northamptonshire", "northants", "police", "crime", "partner")

_HASHER = PasswordHasher()


class PasswordPolicyError(ValueError):
    """A new password is refused; the message says why and how to choose a better one."""


def check_password(password: str, *, personal: Iterable[str] = ()) -> None:
    """Refuse a password that is short, overlong, or easy to guess.

    Parameters
    ----------
    password : str
        The proposed password, exactly as typed (spaces count: passphrases are welcome).
    personal : iterable of str
        The account's email and name: a password made from them is easy to guess.

    Raises
    ------
    PasswordPolicyError
        With one sentence saying what is wrong and what to do.
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters; "
            "three or four unrelated words make a strong one that is easy to remember."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    inputs = [*SERVICE_WORDS]
    for text in personal:
        text = (text or "").lower()
        inputs += [text, *text.replace("@", " ").replace(".", " ").replace("-", " ").replace("_", " ").split()]
    verdict = zxcvbn(password[:_STRENGTH_CHECKED], user_inputs=[w for w in inputs if w])
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        why = feedback.get("warning") or "It is close to what attackers try first, such as your own name or email."
        how = " ".join(feedback.get("suggestions") or []) or "Add another word or two; uncommon words are better."
        raise PasswordPolicyError(f"That password is too easy to guess. {why.rstrip('.')}. {how}")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; the salt and cost are inside the string). Slow:
    call it outside any database transaction."""
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so that costs the same as a wrong password."""
    return _HASHER.hash("not a password anyone has")


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; with no hash (no such account, or an account
    without a password) a dummy hash is checked, so the answer takes the same time."""
    try:
        _HASHER.verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (then rehash on sign-in)."""
    return _HASHER.check_needs_rehash(stored_hash)

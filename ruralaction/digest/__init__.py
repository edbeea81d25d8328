"""The monthly email digest: subscriptions with double opt-in, the digest's content, SMTP sending.

Modules
-------
subscriptions
    Subscribe (pending), confirm (single-use hashed token), one-click unsubscribe (deletes the
    row), the admins' list, the purge of unconfirmed requests, database-held rate limits.
content
    What one area's digest says (expected range, actions, "you said, we did") and its emails.
mail
    SMTP settings from the environment or ``.streamlit/secrets.toml``; sending.
send
    ``digest send``: every due subscription once a month; subscribing with its confirmation email.
cli
    ``python -m ruralaction digest send|purge|list|preview``.

It reads measures, actions and concerns, so it sits above them (stage 7, beside reports).
"""

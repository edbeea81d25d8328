"""Get involved: residents and parish councils raise concerns; the public sees "you said, we did".

Modules
-------
form
    The concern form's fields, limits and rules: :func:`validate_concern` (pure).
places
    A typed place name or postcode matched to a ward of the loaded boundaries.
limits
    A per-session rate limit and a global burst guard that never blocks (pure objects).
privacy
    Personal fields, the retention setting, the public-columns guard.
store
    Submitting (one transaction, a reference number), the admins' queue, linking to actions,
    the retention purge.
public
    Ward-level counts, "you said, we did", and the anonymous :func:`concerns_frame` for measures.
demo
    Demo concerns for the demo dataset, linked to demo actions.
cli
    ``python -m ruralaction concerns purge``.

The tables live with the action tracker's (:mod:`ruralaction.actions.models`, one database and
one chain of migrations).
"""

from __future__ import annotations

from ruralaction.concerns.demo import ensure_demo_concerns, seed_demo_concerns
from ruralaction.concerns.form import (
    ConcernInput,
    category_label,
    concern_categories,
    matching_issues,
    validate_concern,
)
from ruralaction.concerns.limits import (
    BurstGuard,
    SessionLimiter,
    TooManyConcerns,
    is_bot,
    limit_keys,
    wait_words,
)
from ruralaction.concerns.places import WardMatch, match_ward, read_postcode_lookup
from ruralaction.concerns.privacy import (
    PERSONAL_FIELDS,
    PrivacyError,
    check_public,
    period_words,
    retention,
)
from ruralaction.concerns.public import (
    concerns_frame,
    said_and_done,
    ward_concern_counts,
    you_said_we_did,
)
from ruralaction.concerns.store import (
    STATUSES,
    ConcernError,
    ConcernNotFound,
    ConcernRecord,
    PurgeReport,
    Submitted,
    get_concern,
    link_to_action,
    list_concerns,
    list_new,
    mark_reviewed,
    new_submission_key,
    purge_personal,
    submit_concern,
    unlink_action,
)

__all__ = [
    "PERSONAL_FIELDS",
    "STATUSES",
    "BurstGuard",
    "ConcernError",
    "ConcernInput",
    "ConcernNotFound",
    "ConcernRecord",
    "PrivacyError",
    "PurgeReport",
    "SessionLimiter",
    "TooManyConcerns",
    "is_bot",
    "limit_keys",
    "Submitted",
    "WardMatch",
    "category_label",
    "check_public",
    "concern_categories",
    "concerns_frame",
    "ensure_demo_concerns",
    "get_concern",
    "link_to_action",
    "list_concerns",
    "list_new",
    "mark_reviewed",
    "match_ward",
    "matching_issues",
    "new_submission_key",
    "period_words",
    "purge_personal",
    "read_postcode_lookup",
    "retention",
    "said_and_done",
    "seed_demo_concerns",
    "submit_concern",
    "unlink_action",
    "validate_concern",
    "wait_words",
    "ward_concern_counts",
    "you_said_we_did",
]

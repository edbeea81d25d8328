"""What the concern form tells people before they write: where to report instead (emergencies,
crimes), what the form is for, and what is kept of what they send and for how long.

The words are here (not in the page) so that the page, the tests and any other front end say the
same thing; the force's online reporting link comes from the definition file
(``[county] report_online``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ruralaction.definition import Definition

EMERGENCY = "999"
EMERGENCY_TEXTPHONE = "18000"
NON_EMERGENCY = "101"


@dataclass(frozen=True)
class SafeReporting:
    """The safe-reporting notice shown above the concern form.

    Attributes
    ----------
    emergency : str
        When to call 999, in one sentence.
    report_crime : str
        How to report a crime that is not an emergency: 101, and the force's online reporting
        page when the definition names one.
    online_url : str
        That page's address ("" when none is configured; the definition's schema allows only an
        ``https://`` address without spaces, quotes, brackets or parentheses, so it is safe in a
        Markdown link).
    purpose : str
        What the form is for, and that it is not a crime report.
    """

    emergency: str
    report_crime: str
    online_url: str
    purpose: str


def safe_reporting(definition: Definition) -> SafeReporting:
    """The notice for ``definition``'s county and force (see :class:`SafeReporting`)."""
    force = definition.force or f"{definition.county} police"
    url = definition.report_online
    online = f", or report it online to {force}" if url else ""
    return SafeReporting(
        emergency=(
            f"Not for emergencies: if a crime is happening now or someone is in danger, call {EMERGENCY} "
            f"(textphone {EMERGENCY_TEXTPHONE})."
        ),
        report_crime=f"To report a crime, call {NON_EMERGENCY}{online}: this form does not report a crime to the police.",
        online_url=url,
        purpose=(
            "This form is for worries about rural crime where you live (for example fly-tipping, hare "
            "coursing, thefts from farms or suspicious vehicles) so that the Rural Action partners can "
            "see patterns and act. It is read in office hours."
        ),
    )


def retention_notice(keep_for: str) -> str:
    """What happens to a concern after the retention period (``keep_for`` in words, "12 months")."""
    return (
        f"After {keep_for} your name and contact details are erased, what you wrote is replaced by its "
        "category, and any spot you marked is reduced to the ward; only the anonymous count remains."
    )

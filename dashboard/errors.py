"""Every fault as one sentence on the page, never a stack trace (the Streamlit side of
:mod:`ruralaction.faults`).

``app.py`` runs the shared sidebar and the page inside :func:`guard`: whatever the page raises
(the database down, the disk full, a broken configuration file, a damaged data file, a bug) is
put into words by :func:`ruralaction.faults.describe` and drawn at the top of the page as one
sentence, with what still works and a reference, and logged as one JSON line
(:mod:`ruralaction.logs`) with the technical detail. What the page drew before the fault stays.

Parts of a page that can fail on their own without making the rest wrong — the partners'
actions layer on the crime map, a ward's actions and concerns — run inside :func:`section`, so a
database that is down costs that part only. A fragment that reruns on a timer (presentation
mode) is wrapped with :func:`guarded`, because its reruns do not pass through ``app.py``.

Notes about a shared link's values that were ignored ("the link's date 2019-13 was ignored")
are collected with :func:`note` while the page runs and drawn with the fault, by :func:`guard`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from dashboard import state
from ruralaction import logs
from ruralaction.faults import Fault, describe

_NOTES = "errors_link_notes"
_SAID = "errors_said"  # fault sentences already drawn in this run
T = TypeVar("T")


def _log(fault: Fault, where: str, part: str | None = None) -> None:
    logs.configure()  # once per process; later calls keep the handler
    logs.event(
        "page.fault",
        level="error" if fault.kind == "unexpected" else "warning",
        page=where,
        part=part,
        kind=fault.kind,
        reference=fault.reference,
        wrote=fault.wrote,
        detail=fault.detail,
    )


def show(fault: Fault) -> None:
    """Draw a fault: its sentence as an error, what still works and the reference below it."""
    st.error(state.md(fault.sentence), icon=":material/error:")
    st.caption(f"{state.md(fault.still_works)} Reference {fault.reference} (for the administrators).")


def report(exc: BaseException, where: str, part: str | None = None) -> Fault:
    """Put ``exc`` into words and log it; return the :class:`Fault` (nothing drawn)."""
    fault = describe(exc)
    _log(fault, where, part)
    return fault


def note(text: str) -> None:
    """Add a note for this run (drawn at the top of the page by :func:`guard`), once each."""
    notes = st.session_state.setdefault(_NOTES, [])
    if text not in notes:
        notes.append(text)


def _draw_notes(box) -> None:
    notes = st.session_state.pop(_NOTES, [])
    if notes:
        with box:
            st.info("\n".join(f"- {state.md(n)}" for n in notes), icon=":material/link_off:")


@contextmanager
def guard(where: str, box=None) -> Iterator[None]:
    """Run a page: any fault becomes one sentence in ``box`` (a container at the top of the
    page; default: where the fault happened) and a log line. Streamlit's own control flow
    (``st.stop``, ``st.rerun``, ``st.switch_page``) passes through untouched."""
    box = box if box is not None else st.container()
    st.session_state.pop(_NOTES, None)
    st.session_state.pop(_SAID, None)
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the one place every fault is put into words
        fault = report(exc, where)
        with box:
            if fault.sentence not in st.session_state.get(_SAID, ()):
                show(fault)
            else:
                st.caption(f"The rest of this page cannot be shown for the same reason. Reference {fault.reference}.")
    finally:
        _draw_notes(box)


@contextmanager
def section(what: str, where: str = "") -> Iterator[None]:
    """Run one part of a page that others do not depend on; a fault there is said in one
    warning naming ``what`` (e.g. "Partners' actions") and the rest of the page goes on."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - degrade this part only, in words
        fault = report(exc, where, part=what)
        said = st.session_state.setdefault(_SAID, set())
        if fault.sentence in said:  # one sentence per fault on a page, however many parts it stops
            st.caption(f"{state.md(what)} cannot be shown either, for the same reason.")
            return
        said.add(fault.sentence)
        st.warning(
            f"{state.md(what)} cannot be shown just now. {state.md(fault.sentence)}",
            icon=":material/cloud_off:",
        )
        st.caption(f"Everything else on this page is up to date. Reference {fault.reference}.")


def attempt(fn: Callable[[], T], what: str, where: str = "") -> T | None:
    """``fn()``, or None after saying in one warning that ``what`` cannot be shown (as
    :func:`section`, for a value a page draws later)."""
    with section(what, where):
        return fn()
    return None


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Wrap a fragment's function so its own reruns (on a timer) also put faults into words."""

    @functools.wraps(fn)
    def run(*args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a timed rerun must say what is wrong, then try again
            show(report(exc, fn.__qualname__))

    return run

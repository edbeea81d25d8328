"""Who is sending, as far as limits need to know: the client's network address and a key for the
browser that survives a reload and new tabs (unlike a Streamlit session, which a reload replaces).

The browser key is the token inside Streamlit's own XSRF cookie (``_streamlit_xsrf``): Streamlit
keeps the token when it re-sets the cookie on a reload, and a script that opens fresh sessions
without cookies gets a new one each time — which the per-client limit then catches. Both values
are only ever stored hashed (:func:`ruralaction.concerns.limits.limit_keys`).
"""

from __future__ import annotations

import streamlit as st

XSRF_COOKIE = "_streamlit_xsrf"


def client_address() -> str | None:
    """The client's address as the server sees it (None on localhost; behind a reverse proxy,
    uvicorn must trust it, ``FORWARDED_ALLOW_IPS``, or every visitor looks like the proxy)."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context (bare mode): no address
        return None
    return ip if isinstance(ip, str) and ip else None


def browser_key() -> str | None:
    """A stable key for this browser: the XSRF cookie's token, else this session's id."""
    try:
        raw = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # noqa: BLE001 - no client context
        raw = None
    if isinstance(raw, str) and raw:
        try:  # Streamlit's own decoder (the cookie's mask changes on every page load; the token not)
            from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string
        except ImportError:  # another Streamlit server: fall back to the session below
            decode_xsrf_token_string = None
        token = decode_xsrf_token_string(raw)[0] if decode_xsrf_token_string else None
        if token:
            return "xsrf:" + token.hex()
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx else None

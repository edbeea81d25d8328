"""The library is pure: no module under ``ruralaction/`` imports Streamlit."""

from __future__ import annotations

import re
from pathlib import Path

import ruralaction


def test_no_library_module_imports_streamlit():
    root = Path(ruralaction.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 20
    offenders = [str(p.relative_to(root)) for p in modules
                 if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text("utf-8"), re.M)]
    assert offenders == []

"""Reports built from everything below: the meeting pack.

Modules
-------
pack
    The meeting pack as one self-contained HTML file or a PDF printed from it.
"""

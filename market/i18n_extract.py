"""A Babel extractor for the messages of domain and service errors (`raise SomeRule("...")`).

The pure domain cannot import Flask-Babel, so its messages are not wrapped in _(); this extractor
collects the constant messages of raise statements so the web edge can translate them with gettext.
Messages built with f-strings carry numbers and stay in the source language.
"""

from __future__ import annotations

import ast


def extract_raised_messages(fileobj, keywords, comment_tags, options):
    """Yield (line, funcname, message, comments) for each raise of an exception with a constant message."""
    tree = ast.parse(fileobj.read().decode("utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call) or not node.exc.args:
            continue
        first = node.exc.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip():
            yield node.lineno, None, first.value, []

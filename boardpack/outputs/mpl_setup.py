"""matplotlib made ready for the chart, without the help text it writes for people at import.

As each of matplotlib's Artist classes is defined, matplotlib writes the docstring of its
`set()` method, listing every property it has (matplotlib.artist.kwdoc): 0.09 s of importing
what the chart draws with, a tenth of a one-paper build, for text only `help()` shows. boardpack
never shows matplotlib's help, so that list is left empty here, before matplotlib defines those
classes: gantt.py imports this module ahead of every other part of matplotlib. Nothing else
changes: the methods, their signatures and the drawing are matplotlib's own.
"""

from __future__ import annotations

import matplotlib.artist


def _no_property_list(artist: object) -> str:
    """What matplotlib.artist.kwdoc returns here: no text."""
    return ""


# setattr: matplotlib's typing says kwdoc is a function of its own, and this replaces it.
setattr(matplotlib.artist, "kwdoc", _no_property_list)  # noqa: B010

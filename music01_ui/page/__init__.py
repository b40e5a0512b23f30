"""The page's layout and wiring, one module per part: the header, one per tab, and the browser side.

Each ``build_*(ui, dm)`` lays its part out inside the open ``gr.Blocks`` and keeps the components
the wiring needs on ``ui`` (a :class:`Page`), by the names used below; each ``wire_*(ui)`` then
attaches that part's events.  ``app.build`` calls the builders in the page's order and the
wirings after them, in the order the events have always been registered.
"""

from types import SimpleNamespace

#: UI-only events are private; the named endpoints (``api_name=...``) are public.
PRIVATE = {"api_visibility": "private"}


class Page(SimpleNamespace):
    """The page's components by name: each builder adds its own, the wiring reads them."""

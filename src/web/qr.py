"""QR codes drawn on the server as inline SVG, so a phone can scan the set-up key
without any script or outside service."""

from __future__ import annotations

import segno


def svg(data: str) -> str:
    """An inline ``<svg>`` element of ``data`` as a QR code, sized by its viewBox so the
    page's CSS decides how large it shows."""
    code = segno.make(data, error="m", micro=False)
    return str(code.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff"))

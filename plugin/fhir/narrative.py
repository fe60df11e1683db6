"""Generated narratives (Resource.text): what a person sees when the EHR shows the resource."""

from __future__ import annotations

from html import escape
from typing import Sequence

XHTML = "http://www.w3.org/1999/xhtml"


def narrative(title: str, paragraphs: Sequence[str]) -> dict[str, str]:
    """A generated Narrative: the title in bold, then one paragraph per item (text is escaped)."""
    body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs if p)
    head = f"<p><b>{escape(title, quote=False)}</b></p>"
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{head}{body}</div>'}

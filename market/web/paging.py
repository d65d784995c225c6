"""Page links for long lists: first, last, the pages around the current one, gaps as ellipses."""

from __future__ import annotations


def page_links(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers to link, None where a run of pages is left out: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    links: list[int | None] = []
    for number in sorted(shown):
        if links and number - links[-1] == 2:
            links.append(number - 1)  # one missing page is shown, not replaced by an ellipsis
        elif links and number - links[-1] > 2:
            links.append(None)
        links.append(number)
    return links

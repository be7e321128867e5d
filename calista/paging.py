"""Pagination of lists that can hold a million rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts at most `cap` rows: the first pages of a list of a million shipments need no exact count of them all.

    `capped` says the list holds more than `cap` rows (the page shows "more than 10,000"; the filters narrow it).
    """

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: self.cap + 1].count()  # SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1)
        self.capped = found > self.cap
        return min(found, self.cap)

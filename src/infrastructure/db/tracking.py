"""How every repository knows what to write: a snapshot of each aggregate's stored columns."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Snapshots(Generic[K]):
    """The values each aggregate had when it was read or last written, by key.

    ``changes`` compares an aggregate's values now with its snapshot, so ``flush``
    writes only what changed (nothing at all for an aggregate that was only read).
    """

    def __init__(self) -> None:
        self._stored: dict[K, dict[str, Any]] = {}

    def keep(self, key: K, values: Mapping[str, Any]) -> None:
        """Note ``values`` as what the database now holds for ``key``."""
        self._stored[key] = dict(values)

    def stored(self, key: K) -> Mapping[str, Any]:
        return self._stored[key]

    def changes(self, key: K, values: Mapping[str, Any]) -> dict[str, Any]:
        """The entries of ``values`` that differ from what is stored for ``key``."""
        stored = self._stored[key]
        return {name: value for name, value in values.items() if stored.get(name) != value}

    def written(self, key: K, **values: Any) -> None:
        """Note columns written behind the aggregate's back (a bulk update, say)."""
        self._stored[key].update(values)

"""What a release asks for: its tables or extract, its method and that method's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tipnet.auth.publishers import HUB_PUBLISHER, canonical
from tipnet.disclosure.cells import TableSpec
from tipnet.disclosure.dp import DPParams
from tipnet.disclosure.kanon import KAnonParams

METHODS = ("threshold", "dp", "kanon")


@dataclass(frozen=True)
class ReleaseSpec:
    title: str
    method: str
    tables: tuple[TableSpec, ...] = ()
    dataset: str = "victims"  # the privacy-budget ledger and the version sequence
    threshold: int = 5
    min_width: int = 1
    dp: DPParams | None = None
    kanon: KAnonParams | None = None
    publisher: str = HUB_PUBLISHER  # "hub" (shared, consented records) or a country code (its own records)
    # the title in other languages, (language, title) pairs: the portal shows the reader's, else `title`
    titles: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "publisher", canonical(self.publisher))
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if self.method in ("threshold", "dp") and not self.tables:
            raise ValueError(f"a {self.method} release needs at least one table")
        if self.method == "kanon" and self.tables:
            raise ValueError("a k-anonymous extract is released on its own, without tables of the same data")
        if self.method == "dp" and self.dp is None:
            object.__setattr__(self, "dp", DPParams())
        if self.method == "kanon" and self.kanon is None:
            object.__setattr__(self, "kanon", KAnonParams())
        object.__setattr__(self, "titles", tuple(sorted((str(k), str(v).strip()) for k, v in dict(self.titles).items()
                                                        if str(v).strip())))
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("two tables have the same name")
        if not self.dataset.replace("_", "").replace("-", "").isalnum():
            raise ValueError("dataset: use letters, digits, '-' and '_'")

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "method": self.method, "dataset": self.dataset,
                "tables": [t.to_dict() for t in self.tables], "threshold": self.threshold,
                "min_width": self.min_width, "dp": self.dp.to_dict() if self.dp else None,
                "kanon": self.kanon.to_dict() if self.kanon else None, "publisher": self.publisher,
                **({"titles": dict(self.titles)} if self.titles else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReleaseSpec:
        dp = d.get("dp")
        k = d.get("kanon")
        return cls(
            title=d["title"], method=d["method"], dataset=d.get("dataset", "victims"),
            tables=tuple(TableSpec.from_dict(t) for t in d.get("tables", [])),
            threshold=int(d.get("threshold", 5)), min_width=int(d.get("min_width", 1)),
            publisher=d.get("publisher") or HUB_PUBLISHER,
            titles=tuple((d.get("titles") or {}).items()),
            dp=DPParams(measure=dp["measure"], budget=float(dp["budget"]), max_forms=int(dp["max_forms"]),
                        alpha=float(dp["alpha"]), years=tuple(dp["years"]) if dp.get("years") else None,  # type: ignore[arg-type]
                        consistent=bool(dp.get("consistent", True)))
            if dp else None,
            kanon=KAnonParams(k=int(k["k"]), l_diversity=int(k["l"]), max_suppression=float(k["max_suppression"]),
                              quasi_identifiers=tuple(k["quasi_identifiers"])) if k else None,
        )


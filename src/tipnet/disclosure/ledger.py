"""The privacy-budget ledger: what every differentially private release of a dataset spent, persisted in the store.

A dataset has a zCDP budget (rho) and/or a pure-DP budget (epsilon). A pure release of epsilon spends epsilon from
the pure budget and epsilon^2/2 from the zCDP budget (Bun & Steinke 2016, Prop. 1.4); a zCDP release spends rho
and needs a zCDP budget. Spending is one conditional UPDATE (atomic on SQLite and PostgreSQL: two releases racing
for the last of a budget cannot both pass) plus an append-only ledger row in the same transaction. Database
triggers refuse edits or deletions of ledger rows and any decrease of what was spent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from tipnet.store import Database
from tipnet.store.tables_release import privacy_budgets, privacy_ledger

log = logging.getLogger(__name__)
_TOL = 1e-12


class BudgetExceeded(RuntimeError):
    """The release would spend more privacy budget than the dataset has left."""


@dataclass(frozen=True)
class Budget:
    dataset: str
    epsilon_total: float | None
    rho_total: float | None
    epsilon_spent: float
    rho_spent: float

    @property
    def epsilon_left(self) -> float | None:
        return None if self.epsilon_total is None else max(0.0, self.epsilon_total - self.epsilon_spent)

    @property
    def rho_left(self) -> float | None:
        return None if self.rho_total is None else max(0.0, self.rho_total - self.rho_spent)

    def allows(self, measure: str, epsilon: float | None, rho: float) -> bool:
        if measure == "pure":
            if self.epsilon_total is None and self.rho_total is None:
                return False
            ok_eps = self.epsilon_total is None or self.epsilon_spent + (epsilon or 0) <= self.epsilon_total + _TOL
            ok_rho = self.rho_total is None or self.rho_spent + rho <= self.rho_total + _TOL
            return ok_eps and ok_rho
        return self.rho_total is not None and self.rho_spent + rho <= self.rho_total + _TOL

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "epsilon_total": self.epsilon_total, "rho_total": self.rho_total,
                "epsilon_spent": self.epsilon_spent, "rho_spent": self.rho_spent,
                "epsilon_left": self.epsilon_left, "rho_left": self.rho_left}


def _now() -> datetime:
    return datetime.now(UTC)


def get_budget(db: Database, dataset: str) -> Budget | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(privacy_budgets).where(privacy_budgets.c.dataset == dataset)).mappings().first()
    if row is None:
        return None
    return Budget(dataset, row["epsilon_total"], row["rho_total"], row["epsilon_spent"], row["rho_spent"])


def set_budget(db: Database, dataset: str, epsilon: float | None = None, rho: float | None = None) -> Budget:
    """Create a dataset's budget or change its caps (never below what was already spent)."""
    if epsilon is None and rho is None:
        raise ValueError("give an epsilon (pure DP) and/or a rho (zCDP) budget")
    if (epsilon is not None and epsilon <= 0) or (rho is not None and rho <= 0):
        raise ValueError("budgets must be positive")
    with db.engine.begin() as conn:
        row = conn.execute(select(privacy_budgets).where(privacy_budgets.c.dataset == dataset)).mappings().first()
        if row is None:
            conn.execute(insert(privacy_budgets).values(dataset=dataset, epsilon_total=epsilon, rho_total=rho,
                                                         epsilon_spent=0.0, rho_spent=0.0, updated_at=_now()))
        else:
            if (epsilon is not None and epsilon < row["epsilon_spent"]) or (rho is not None and rho < row["rho_spent"]):
                raise ValueError(f"dataset {dataset!r} already spent epsilon {row['epsilon_spent']:.4g}, "
                                 f"rho {row['rho_spent']:.4g}; a budget cannot go below that")
            conn.execute(update(privacy_budgets).where(privacy_budgets.c.dataset == dataset)
                         .values(epsilon_total=epsilon, rho_total=rho, updated_at=_now()))
    log.info("privacy budget of %s: epsilon %s, rho %s", dataset, epsilon, rho)
    budget = get_budget(db, dataset)
    assert budget is not None
    return budget


def charge(db: Database, dataset: str, measure: str, epsilon: float | None, rho: float, description: str,
           release_id: int | None = None) -> int:
    """Spend from the dataset's budget, or raise BudgetExceeded. Returns the ledger row id."""
    b = privacy_budgets.c
    if measure == "pure":
        if epsilon is None:
            raise ValueError("a pure-DP charge needs epsilon")
        cond = and_(or_(b.epsilon_total.is_not(None), b.rho_total.is_not(None)),
                    or_(b.epsilon_total.is_(None), b.epsilon_spent + epsilon <= b.epsilon_total + _TOL),
                    or_(b.rho_total.is_(None), b.rho_spent + rho <= b.rho_total + _TOL))
    elif measure == "zcdp":
        epsilon = None
        cond = and_(b.rho_total.is_not(None), b.rho_spent + rho <= b.rho_total + _TOL)
    else:
        raise ValueError(f"unknown measure {measure!r}")
    with db.engine.begin() as conn:
        done = conn.execute(update(privacy_budgets).where(b.dataset == dataset, cond).values(
            epsilon_spent=b.epsilon_spent + (epsilon or 0.0), rho_spent=b.rho_spent + rho, updated_at=_now()))
        if done.rowcount == 1:
            entry = conn.execute(insert(privacy_ledger).values(
                dataset=dataset, release_id=release_id, measure=measure, epsilon=epsilon, rho=rho,
                description=description, created_at=_now()))
            entry_id = entry.inserted_primary_key[0] if entry.inserted_primary_key else None
            if entry_id is None:
                raise RuntimeError("the store returned no id for the ledger entry")
            log.info("privacy ledger %s: spent %s epsilon=%s rho=%.6g (%s)", dataset, measure, epsilon, rho,
                     description)
            return int(entry_id)
    raise BudgetExceeded(_refusal(get_budget(db, dataset), dataset, measure, epsilon, rho))


def _refusal(budget: Budget | None, dataset: str, measure: str, epsilon: float | None, rho: float) -> str:
    asked = f"epsilon {epsilon:.4g}" if measure == "pure" and epsilon is not None else f"rho {rho:.4g}"
    if budget is None:
        return (f"dataset {dataset!r} has no privacy budget; set one first "
                "(tipnet release budget DATASET --rho R and/or --epsilon E)")
    if measure == "zcdp" and budget.rho_total is None:
        return f"dataset {dataset!r} has a pure-DP budget only; a zCDP release needs a rho budget"
    left = ", ".join(f"{name} {value:.4g}" for name, value in (("epsilon", budget.epsilon_left),
                                                               ("rho", budget.rho_left)) if value is not None)
    return (f"privacy budget exceeded: this release needs {asked} but dataset {dataset!r} has only {left} left "
            f"(spent so far: epsilon {budget.epsilon_spent:.4g}, rho {budget.rho_spent:.4g}); refused")


def entries(db: Database, dataset: str) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(privacy_ledger).where(privacy_ledger.c.dataset == dataset)
                            .order_by(privacy_ledger.c.id)).mappings().all()
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]

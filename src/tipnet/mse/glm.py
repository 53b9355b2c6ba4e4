"""Poisson log-linear GLM by iteratively reweighted least squares (what R's ``glm(family = poisson)`` does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from tipnet.mse.errors import MSEError


@dataclass(frozen=True, eq=False)
class PoissonFit:
    coefficients: np.ndarray
    cov_unscaled: np.ndarray  # (X' W X)^-1, R's summary(fit)$cov.unscaled
    fitted: np.ndarray
    deviance: float
    loglik: float
    iterations: int

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * len(self.coefficients)


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def fit_poisson(x: np.ndarray, y: np.ndarray, tol: float = 1e-12, max_iter: int = 100) -> PoissonFit:
    """Maximum likelihood fit of log E[y] = x @ beta. Starts like R (mu = y + 0.1) and iterates until the relative
    change in deviance is below ``tol`` (R's default is 1e-8; tighter here so estimates agree to many digits) or the
    coefficients stop moving."""
    y = np.asarray(y, dtype=float)
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu)
    beta = np.zeros(x.shape[1])
    iterations = 0
    while True:
        iterations += 1
        if iterations > max_iter:
            raise MSEError(f"the Poisson fit did not converge in {max_iter} iterations")
        z = eta + (y - mu) / mu
        sw = np.sqrt(mu)
        beta_old = beta
        beta, *_ = np.linalg.lstsq(x * sw[:, None], z * sw, rcond=None)
        eta = x @ beta
        if not np.isfinite(eta).all() or eta.max() > 700:
            raise MSEError("the Poisson fit diverged (the estimate does not exist for this model)")
        mu = np.exp(eta)
        dev = _deviance(y, mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol or np.max(np.abs(beta - beta_old)) < 1e-10:
            break
        dev_old = dev
    info = x.T @ (x * mu[:, None])
    cov = np.linalg.inv(info)
    loglik = float(np.sum(y * eta - mu - gammaln(y + 1.0)))
    return PoissonFit(beta, cov, mu, dev, loglik, iterations)

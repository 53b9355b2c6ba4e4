"""Multiple systems estimation of hidden populations: a reimplementation of the R package SparseMSE
(Chan, Silverman and Vincent, JASA 2021; Silverman, JRSS A 2020).

    >>> from tipnet.mse import read_capture_csv, estimate_population
    >>> est = estimate_population(read_capture_csv("NewOrl.csv"))      # doctest: +SKIP
    >>> est.terms, round(est.total)                                     # doctest: +SKIP
    (['D:E'], 1184)

Log-linear Poisson models over all 2^t - 1 observable capture histories (unobserved ones as zero counts), main effects
plus pairwise effects chosen stepwise with Poisson p-values; existence (Fienberg-Rinaldo linear program) and
identifiability (rank) checked for each candidate; non-overlapping pairs handled by deleting the histories containing
both lists. The dark figure is exp(intercept).
"""

from tipnet.mse.bootstrap import BootstrapResult, bootstrap_bca
from tipnet.mse.design import ModelCheck, build_design, check_model
from tipnet.mse.errors import CaptureTableError, EstimateDoesNotExist, MSEError
from tipnet.mse.estimate import METHODS, PopulationEstimate, estimate_population
from tipnet.mse.fit import ModelFit, fit_model
from tipnet.mse.stepwise import Selection, Step, poisson_pvalue, stepwise_fit
from tipnet.mse.strata import ListRecord, StratumEstimate, estimate_by_stratum, read_list_records
from tipnet.mse.table import CaptureTable, read_capture_csv, table_from_memberships

__all__ = [
    "METHODS",
    "BootstrapResult",
    "CaptureTable",
    "CaptureTableError",
    "EstimateDoesNotExist",
    "ListRecord",
    "MSEError",
    "ModelCheck",
    "ModelFit",
    "PopulationEstimate",
    "Selection",
    "Step",
    "StratumEstimate",
    "bootstrap_bca",
    "build_design",
    "check_model",
    "estimate_by_stratum",
    "estimate_population",
    "fit_model",
    "poisson_pvalue",
    "read_capture_csv",
    "read_list_records",
    "stepwise_fit",
    "table_from_memberships",
]

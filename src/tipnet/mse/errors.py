"""Errors raised by multiple systems estimation. Each carries a stable slug for the JSON error shape."""

from __future__ import annotations

from tipnet.errors import TipnetError


class MSEError(TipnetError, ValueError):
    """Bad input or a model that cannot be estimated."""

    status, code = 422, "mse-error"


class CaptureTableError(MSEError):
    """The capture-history table is malformed (columns, 0/1 values, counts)."""

    code = "bad-capture-table"


class EstimateDoesNotExist(MSEError):
    """The maximum likelihood estimate of the requested model does not exist or is not identifiable.

    ``ierr`` follows SparseMSE's ``checkident``: 1 = the (extended) MLE does not exist (Fienberg-Rinaldo linear
    program), 2 = the parameters are not identifiable (design not of full column rank), 3 = both.
    """

    code = "estimate-does-not-exist"

    def __init__(self, message: str, ierr: int) -> None:
        super().__init__(message)
        self.ierr = ierr

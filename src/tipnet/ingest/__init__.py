"""Ingest: read a file, map it to the standard through a profile, check it, and store or quarantine every row."""

from tipnet.ingest.errors import CATALOGUE, ErrorType
from tipnet.ingest.report import Problem, Report

__all__ = ["CATALOGUE", "ErrorType", "Problem", "Report"]

"""Comparable statistics: a victim cube from case microdata and from aggregate returns, rates per 100,000."""

from tipnet.stats.cube import CUBE_DIMENSIONS, CubeSpec, cube_sqls
from tipnet.stats.source import StatsSource

__all__ = ["CUBE_DIMENSIONS", "CubeSpec", "StatsSource", "cube_sqls"]

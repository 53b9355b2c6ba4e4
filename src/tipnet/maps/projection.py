"""The Natural Earth I projection (the same formula as d3.geoNaturalEarth1) and the frame of a region.

Longitudes are measured from the frame's central meridian without wrapping: the source data is already cut at the
antimeridian, so no polygon crosses a seam; shapes far from the frame simply fall outside the axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tipnet.maps.geometry import region_bounds
from tipnet.maps.model import Bounds


def natural_earth1(lon: np.ndarray, lat: np.ndarray, lon0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Project degrees to Natural Earth I plane units (radians of a unit sphere), central meridian `lon0`."""
    lam = np.radians(np.asarray(lon, dtype=np.float64) - lon0)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)))
    return x, y


@dataclass(frozen=True)
class Frame:
    """A region on the plane: its lon/lat bounds, central meridian and projected extent."""

    bounds: Bounds
    lon0: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    @classmethod
    def for_region(cls, region: str) -> Frame:
        bounds = region_bounds(region)
        w, s, e, n = bounds
        lon0 = (w + e) / 2
        edge = np.linspace(0.0, 1.0, 64)
        lons = np.concatenate([w + (e - w) * edge, np.full(64, e), e - (e - w) * edge, np.full(64, w)])
        lats = np.concatenate([np.full(64, s), s + (n - s) * edge, np.full(64, n), n - (n - s) * edge])
        x, y = natural_earth1(lons, lats, lon0)
        return cls(bounds, lon0, (float(x.min()), float(x.max())), (float(y.min()), float(y.max())))

    @property
    def aspect(self) -> float:
        """Width over height of the projected frame."""
        return (self.xlim[1] - self.xlim[0]) / (self.ylim[1] - self.ylim[0])

    @property
    def legend_below(self) -> bool:
        """Wide frames (the world) have no empty corner: their legend goes under the map."""
        return self.aspect > 1.3

    def project(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) lon/lat -> (n, 2) plane coordinates."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        x, y = natural_earth1(pts[:, 0], pts[:, 1], self.lon0)
        return np.column_stack([x, y])

    def point(self, lonlat: tuple[float, float]) -> tuple[float, float]:
        x, y = natural_earth1(np.array([lonlat[0]]), np.array([lonlat[1]]), self.lon0)
        return float(x[0]), float(y[0])

    def touches(self, ring: np.ndarray, margin: float = 10.0) -> bool:
        """Whether a lon/lat ring's bounding box comes within `margin` degrees of the frame."""
        w, s, e, n = self.bounds
        return bool(
            ring[:, 0].max() >= w - margin and ring[:, 0].min() <= e + margin
            and ring[:, 1].max() >= s - margin and ring[:, 1].min() <= n + margin
        )

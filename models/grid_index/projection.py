"""Fast lon/lat → metric projection for the grid index: a polynomial with a measured error."""

from __future__ import annotations

import numpy as np
import pyproj

#: Degrees tried in order; the first whose measured error is small enough is used.
DEGREES = (3, 4, 5)
#: The measured maximum error is multiplied by this before it is trusted as a bound.
ERROR_SAFETY = 4.0
_FIT_SAMPLES = 41
_CHECK_SAMPLES = 301


class MetricProjection:
    """lon/lat (EPSG:4326) → metric coordinates with a stated error bound ``error_m``.

    Either a 2-D polynomial fitted to pyproj over a lon/lat box (a few multiply-adds per
    point instead of a full map projection) or pyproj itself when no polynomial is close
    enough. Outside its box the polynomial is meaningless: callers filter points first.
    """

    def __init__(
        self,
        forward: pyproj.Transformer,
        box: tuple[float, float, float, float],
        coef_x: np.ndarray | None,
        coef_y: np.ndarray | None,
        error_m: float,
    ):
        self.forward = forward
        self.box = box
        self.centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self.scale = (2 / max(box[2] - box[0], 1e-12), 2 / max(box[3] - box[1], 1e-12))
        self.coef_x = coef_x
        self.coef_y = coef_y
        self.error_m = error_m

    @property
    def degree(self) -> int | None:
        """Polynomial degree, or None when pyproj projects every point."""
        return None if self.coef_x is None else self.coef_x.shape[0] - 1

    def to_units(self, origin: tuple[float, float], unit: float) -> MetricProjection:
        """The same projection giving ``(metric - origin) / unit`` (raster coordinates).

        Folding the raster's offset and scale into the coefficients saves passes over the
        points; ``error_m`` stays in metres.
        """
        if self.coef_x is None or self.coef_y is None:
            return _Scaled(self, origin, unit)
        cx, cy = self.coef_x / unit, self.coef_y / unit
        cx[0, 0] -= origin[0] / unit
        cy[0, 0] -= origin[1] / unit
        return MetricProjection(self.forward, self.box, cx, cy, self.error_m)

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project float64 arrays ``lon``, ``lat`` (inside ``box``) to metric x, y."""
        if self.coef_x is None or self.coef_y is None:
            x, y = self.forward.transform(lon, lat)
            return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        u = lon - self.centre[0]
        u *= self.scale[0]
        v = lat - self.centre[1]
        v *= self.scale[1]
        powers = [v]
        for _ in range(self.coef_x.shape[0] - 2):
            powers.append(powers[-1] * v)
        return _horner(self.coef_x, u, powers), _horner(self.coef_y, u, powers)


class _Scaled(MetricProjection):
    """pyproj followed by the raster's offset and scale (used when no polynomial fits)."""

    def __init__(self, base: MetricProjection, origin: tuple[float, float], unit: float):
        super().__init__(base.forward, base.box, None, None, base.error_m)
        self.origin, self.unit = origin, unit

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = super().__call__(lon, lat)
        return (x - self.origin[0]) / self.unit, (y - self.origin[1]) / self.unit


def _horner(coef: np.ndarray, u: np.ndarray, v_powers: list[np.ndarray]) -> np.ndarray:
    """Evaluate sum(coef[i, j] * u**i * v**j) for i + j <= degree with few array passes."""
    degree = coef.shape[0] - 1
    out = coef[degree, 0] * u
    for i in range(degree - 1, -1, -1):
        if i < degree - 1:
            out *= u
        for j in range(1, degree - i + 1):
            out += coef[i, j] * v_powers[j - 1]
        out += coef[i, 0]
    return out


def _design(u: np.ndarray, v: np.ndarray, degree: int) -> np.ndarray:
    return np.stack(
        [u**i * v**j for i in range(degree + 1) for j in range(degree + 1 - i)], axis=-1
    )


def _unpack(flat: np.ndarray, degree: int) -> np.ndarray:
    coef = np.zeros((degree + 1, degree + 1))
    k = 0
    for i in range(degree + 1):
        for j in range(degree + 1 - i):
            coef[i, j] = flat[k]
            k += 1
    return coef


def fit_projection(
    forward: pyproj.Transformer,
    box: tuple[float, float, float, float],
    *,
    max_error_m: float,
) -> MetricProjection:
    """Fit the lowest-degree polynomial whose error bound over ``box`` is <= ``max_error_m``.

    Parameters
    ----------
    forward : pyproj.Transformer
        lon/lat → metric, ``always_xy=True``.
    box : tuple
        (min_lon, min_lat, max_lon, max_lat) the points will come from.
    max_error_m : float
        Largest acceptable error bound (metres).

    Returns
    -------
    MetricProjection
        A polynomial, whose ``error_m`` is the largest error measured on a dense check
        lattice times :data:`ERROR_SAFETY`, or pyproj itself (``degree`` None) when no
        degree in :data:`DEGREES` is good enough.
    """
    exact = MetricProjection(forward, box, None, None, 1e-6)
    if not all(np.isfinite(box)) or box[2] <= box[0] or box[3] <= box[1]:
        return exact
    fit = np.linspace(-1.0, 1.0, _FIT_SAMPLES)
    check = np.linspace(-1.0, 1.0, _CHECK_SAMPLES)
    probe = MetricProjection(forward, box, None, None, 0.0)
    uf, vf = (a.ravel() for a in np.meshgrid(fit, fit))
    uc, vc = (a.ravel() for a in np.meshgrid(check, check))

    def lonlat(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return probe.centre[0] + u / probe.scale[0], probe.centre[1] + v / probe.scale[1]

    xf, yf = forward.transform(*lonlat(uf, vf))
    lon_c, lat_c = lonlat(uc, vc)
    xc, yc = forward.transform(lon_c, lat_c)
    if not (np.isfinite(xf).all() and np.isfinite(xc).all()):
        return exact
    for degree in DEGREES:
        design = _design(uf, vf, degree)
        fx = np.linalg.lstsq(design, xf, rcond=None)[0]
        fy = np.linalg.lstsq(design, yf, rcond=None)[0]
        candidate = MetricProjection(forward, box, _unpack(fx, degree), _unpack(fy, degree), 0.0)
        px, py = candidate(lon_c, lat_c)
        error = float(np.max(np.hypot(px - xc, py - yc))) * ERROR_SAFETY + 1e-6
        if error <= max_error_m:
            candidate.error_m = error
            return candidate
    return exact


def chord_bow(
    forward: pyproj.Transformer,
    inverse: pyproj.Transformer,
    metric_box: tuple[float, float, float, float],
    length: float,
) -> float:
    """How far (metres) a lon/lat-straight chord of ``length`` strays from a metric line.

    Cells are straight between vertices in lon/lat, the raster is straight in metres; the
    two differ by this bow. Measured at the midpoint (where a smooth bow peaks) in four
    directions at 25 places over ``metric_box``, then doubled.
    """
    x0, y0, x1, y1 = metric_box
    gx, gy = np.meshgrid(np.linspace(x0, x1, 5), np.linspace(y0, y1, 5))
    angles = np.array([0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
    ax = np.repeat(gx.ravel(), len(angles))
    ay = np.repeat(gy.ravel(), len(angles))
    bx = ax + length * np.tile(np.cos(angles), gx.size)
    by = ay + length * np.tile(np.sin(angles), gx.size)
    alon, alat = inverse.transform(ax, ay)
    blon, blat = inverse.transform(bx, by)
    mx, my = forward.transform((alon + blon) / 2, (alat + blat) / 2)
    bow = np.hypot(np.asarray(mx) - (ax + bx) / 2, np.asarray(my) - (ay + by) / 2)
    bow = bow[np.isfinite(bow)]
    return 2.0 * float(bow.max()) if len(bow) else float("inf")

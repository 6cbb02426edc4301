"""One candidate made precise: its outline, centre, size, score and kind.

At full resolution, rays from the candidate's centre find the outer edge of
its outermost closed membrane (the polar search of
:func:`~sklearn_lipnet.segmentation.segment_particle`), kept within the
candidate's region so that a touching neighbour does not leak in. Where the
micrograph's border cuts the particle, the search is repeated from the
centre of the circle through the visible outline, and the outline is
continued across the missing part: that gives the whole particle's centre
and size. Optical-depth profiles along the rays then tell a membrane-bounded
particle from a dense body and from a pocket of a larger dark structure.
"""

import warnings

import numpy as np
from scipy import ndimage as ndi

from ..segmentation._filters import along_rays
from ..segmentation._particle import _THRESHOLDS, fill_outline, ring_outline

N_ANGLES = 180
# The search reaches this far beyond the candidate's radius.
_REACH = 1.3
# Normalised radii (outline = 1) of the interior, the rim and the ice just
# outside, where optical depths are compared.
_CORE, _RIM, _OUTSIDE = (0.0, 0.5), (0.75, 0.95), (1.15, 1.4)
# Bands measured inwards from the outer edge, in nm: the outer membrane, and
# where a membrane-bounded particle shows its lighter lumen (or the water
# between lamellae).
_MEMBRANE_BAND_NM, _LUMEN_BAND_NM = (0.0, 6.0), (6.0, 16.0)
# The ice just beyond the outer edge, in nm outwards from it.
_ICE_BAND_NM = (2.0, 8.0)
# A body about as dark in its core as at its rim (or darker), and with no
# lighter band inside its outer edge in most directions, is solid (an ice
# grain, a crystal, debris): a membrane-bounded particle is darkest along
# its membrane, where the line of sight runs tangentially through it.
# (Thresholds set on make_micrographs, where the hollow and the solid
# differ widely; see benchmarks/bench_micrographs.py.)
SOLID_CORE_TO_RIM, SOLID_LUMEN_TO_MEMBRANE = 0.95, 0.98
# A particle stands out from the ice around it: where, in more than this
# fraction of the directions, the outside is nearly as dark as the membrane,
# the outline is a pocket of something larger (the carbon film's edge).
MAX_EMBEDDED_FRACTION = 0.2
# An outline whose median radius is below this fraction of its candidate
# region's radius explains little of the region: it may be the inner
# vesicle of a multilamellar one whose outer lamellae, stacked closely, are
# fainter in the full-resolution band-pass than a lone membrane (seen on the
# real vesicles of benchmarks/results/real_vesicles.md).
_MIN_RADIUS_OF_REGION = 0.7


class Outline:
    """A particle's outline found around ``origin`` (full-resolution pixels).

    Attributes: ``angles``, ``radii`` (outer edge per direction), ``centre``
    (centroid of the outline's polygon), ``area`` (of the polygon, the part
    beyond the border included), ``points`` (rows and columns of the
    outline), ``score`` (membrane contrast along the visible outline, in
    noise units) and ``rejected`` (None, ``"solid"`` or ``"embedded"``).
    """

    def __init__(self, angles, radii, origin):
        self.angles = angles
        self.radii = radii
        self.origin = origin
        rows = origin[0] + np.sin(angles) * radii
        cols = origin[1] + np.cos(angles) * radii
        # Shoelace formulas for the polygon's area and centroid.
        cross = cols * np.roll(rows, -1) - np.roll(cols, -1) * rows
        area = cross.sum() / 2
        self.area = float(abs(area))
        if abs(area) > 1e-9:
            self.centre = (
                float(((rows + np.roll(rows, -1)) * cross).sum() / (6 * area)),
                float(((cols + np.roll(cols, -1)) * cross).sum() / (6 * area)),
            )
        else:
            self.centre = origin
        self.points = rows, cols
        self.score = 0.0
        self.rejected = None

    def mask(self, box):
        """The filled outline on the box ``(top, left, bottom, right)``."""
        top, left, bottom, right = box
        return fill_outline(
            (bottom - top, right - left),
            (self.origin[0] - top, self.origin[1] - left),
            self.angles,
            self.radii,
        )


def _region_reach(regions, label, factor, origin, angles, max_radius, image_shape):
    """Per ray, the distance (full-resolution pixels) at which a region ends.

    ``regions`` is the working-resolution label image, ``label`` the
    region's. A ray that leaves the region at the micrograph's border (or
    never enters it) is not limited by it: inf.
    """
    radii = np.arange(0, max_radius, dtype=np.float32)
    rows = origin[0] + np.sin(angles)[:, None] * radii
    cols = origin[1] + np.cos(angles)[:, None] * radii
    inside = (
        ndi.map_coordinates(
            regions,
            [(rows + 0.5) / factor - 0.5, (cols + 0.5) / factor - 0.5],
            order=0,
            mode="constant",
        )
        == label
    )
    entered = np.logical_or.accumulate(inside, axis=1)
    leaves = entered & ~inside
    first = leaves.argmax(axis=1)
    reach = radii[first].astype(float)
    height, width = image_shape
    margin = factor + 1
    exit_rows = rows[np.arange(len(angles)), first]
    exit_cols = cols[np.arange(len(angles)), first]
    at_border = (
        (exit_rows < margin)
        | (exit_cols < margin)
        | (exit_rows > height - 1 - margin)
        | (exit_cols > width - 1 - margin)
    )
    reach[at_border | ~leaves.any(axis=1)] = np.inf
    return reach


def _classify(smooth, outline, pixel_size_nm):
    """``"solid"``, ``"embedded"`` or None (a membrane-bounded particle).

    Optical depths are measured against the ice just outside the outline:
    core against rim and, per ray, the lightest point 6-16 nm inside the
    edge against the darkest point of the outer 6 nm (see
    :data:`SOLID_CORE_TO_RIM`), and the membrane against the ice 2-8 nm
    outside the edge (:data:`MAX_EMBEDDED_FRACTION`).
    """
    origin, angles, radii = outline.origin, outline.angles, outline.radii

    def band(bounds, count=6):
        return np.maximum(radii[:, None] * np.linspace(*bounds, count), 0)

    def inwards(bounds_nm):
        steps = np.arange(*bounds_nm, min(1.0, pixel_size_nm)) / pixel_size_nm
        return np.maximum(radii[:, None] - steps, 0)

    def outwards(bounds_nm):
        steps = np.arange(*bounds_nm, min(1.0, pixel_size_nm)) / pixel_size_nm
        return radii[:, None] + steps

    outside = along_rays(smooth, origin, angles, band(_OUTSIDE))
    if not np.isfinite(outside).any():
        return None
    background = np.nanmedian(outside)
    if not background > 0:
        return None

    def depth(distance):
        values = along_rays(smooth, origin, angles, distance)
        return np.log(background / np.clip(values, 1e-3, None))

    with warnings.catch_warnings():  # rays wholly outside the micrograph
        warnings.simplefilter("ignore", RuntimeWarning)
        core, rim = np.nanmean(depth(band(_CORE))), np.nanmean(depth(band(_RIM)))
        membrane = np.nanmax(depth(inwards(_MEMBRANE_BAND_NM)), axis=1)
        lumen = np.nanmin(depth(inwards(_LUMEN_BAND_NM)), axis=1)
        lumen_ratio = np.nanmedian(lumen / np.maximum(membrane, 1e-3))
        contrast = membrane - np.nanmedian(depth(outwards(_ICE_BAND_NM)), axis=1)
        seen = np.isfinite(contrast)
        embedded = np.mean(contrast[seen] < 0.5 * np.median(contrast[seen]))
    if core > SOLID_CORE_TO_RIM * max(rim, 0) and lumen_ratio > SOLID_LUMEN_TO_MEMBRANE:
        return "solid"
    if embedded > MAX_EMBEDDED_FRACTION:
        return "embedded"
    return None


def _membrane_score(darkness, outline, sigma):
    """Membrane contrast along the outline: a low quantile over the rays.

    For each ray, the strongest band-pass response within a few blur widths
    inside the outer edge; rays whose edge lies outside the micrograph are
    left out. The 25th percentile demands a membrane around most of it.
    """
    depth = np.arange(0, 4 * sigma + 1, max(sigma / 2, 0.5))
    distance = np.maximum(outline.radii[:, None] - depth, 0)
    strength = along_rays(darkness, outline.origin, outline.angles, distance)
    visible = np.isfinite(strength).all(axis=1)
    if visible.sum() < 0.25 * len(visible):
        return 0.0
    return float(np.percentile(strength[visible].max(axis=1), 25))


def _fit_circle(rows, cols):
    """Centre and radius of the least-squares circle through the points."""
    design = np.column_stack([rows, cols, np.ones_like(rows)])
    target = rows**2 + cols**2
    (a, b, c), *_ = np.linalg.lstsq(design, target, rcond=None)
    centre = (a / 2, b / 2)
    radius_sq = c + centre[0] ** 2 + centre[1] ** 2
    return centre, float(np.sqrt(radius_sq)) if radius_sq > 0 else 0.0


def _trace(darkness, regions, label, factor, origin, radius, sigma, thresholds=None):
    max_radius = _REACH * radius + 4 * sigma + 2
    angles, radii, found = ring_outline(
        darkness, origin, max_radius, n_angles=N_ANGLES, thresholds=thresholds
    )
    reach = _region_reach(
        regions, label, factor, origin, angles, max_radius, darkness.shape
    )
    # The region is coarse: allow the outline a working pixel beyond it.
    return Outline(angles, np.minimum(radii, reach + factor), origin), found


def _visible(outline, shape, margin):
    """Which outline points lie at least ``margin`` pixels inside the array."""
    rows, cols = outline.points
    return (
        (rows >= margin)
        & (cols >= margin)
        & (rows <= shape[0] - 1 - margin)
        & (cols <= shape[1] - 1 - margin)
    )


def trace_outline(
    darkness,
    smooth,
    regions,
    label,
    factor,
    origin,
    radius,
    sigma,
    pixel_size_nm,
    min_score=0.0,
):
    """The :class:`Outline` of candidate ``label`` of ``regions``, near ``origin``.

    Parameters
    ----------
    darkness : ndarray
        Full-resolution band-pass in noise units (membranes positive).
    smooth : ndarray
        Full-resolution image, lightly blurred.
    regions : ndarray of int
        Label image of the candidates at working resolution.
    label : int
        The candidate's label.
    factor : int
        Working-resolution downsampling factor.
    origin : (float, float)
        Start of the rays, full-resolution pixels.
    radius : float
        The candidate's equivalent radius, full-resolution pixels.
    sigma : float
        Blur of the band-pass, pixels.
    pixel_size_nm : float
        Nanometres per pixel.
    min_score : float, default=0.0
        The score a wider outline, found at the lower membrane threshold
        alone where the first one explains little of the region, needs to
        replace the first.
    """

    def traced(thresholds=None):
        outline, found = _trace(
            darkness, regions, label, factor, origin, radius, sigma, thresholds
        )
        visible = _visible(outline, darkness.shape, margin=2 * sigma + 1)
        if not visible.all() and visible.mean() > 0.3:
            # Cut by the border: the rays started off-centre. Start again
            # from the centre of the visible arc's circle, so that the
            # outline is continued across the border along that circle.
            centre, fitted = _fit_circle(
                *(points[visible] for points in outline.points)
            )
            if 0.5 * radius < fitted < 2 * radius:
                outline, found = _trace(
                    darkness, regions, label, factor, centre, fitted, sigma, thresholds
                )
        outline.score = _membrane_score(darkness, outline, sigma)
        outline.rejected = _classify(smooth, outline, pixel_size_nm)
        return outline, found

    outline, _ = traced()
    if np.median(outline.radii) < _MIN_RADIUS_OF_REGION * radius:
        wider, found = traced(_THRESHOLDS[-1:])
        # The whole particle where its outline passes the tests any
        # particle's must; otherwise the inner one, rather than nothing.
        if (
            found
            and np.median(wider.radii) > np.median(outline.radii)
            and wider.rejected is None
            and wider.score >= min_score
        ):
            outline = wider
    return outline

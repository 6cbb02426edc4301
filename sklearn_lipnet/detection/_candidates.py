"""Where the particles of a micrograph might be: closed membranes, coarsely.

At a working resolution of about 2 nm per pixel, dark lines (membranes, and
the thicker bands of closely stacked lamellae) are picked out with band-pass
filters at two widths and a hysteresis threshold; every region they enclose
is a candidate, also where a faint membrane leaves a gap of a few pixels,
and so is the convex hull of a membrane arc that runs around most of a
circle but stays open. Regions enclosed together with the micrograph's
border are the particles it cuts. Touching or overlapping particles, whose
regions merge, are split where the region narrows.
"""

import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.filters import apply_hysteresis_threshold
from skimage.morphology import convex_hull_image, disk
from skimage.segmentation import watershed

from ._outline import _fit_circle

# Pixel size at which candidates are searched: membranes (~5 nm) stay a
# couple of pixels wide, and a 2048 px micrograph shrinks fourfold.
WORKING_PIXEL_NM = 2.0
# Hysteresis thresholds, in noise standard deviations of the band-pass.
# A membrane is followed down to 1 unit from where it reaches 3: on real
# cryo-EM vesicles (benchmarks/results/real_vesicles.md) a low threshold of
# 1.5 left gaps in faint or closely stacked membranes, whose regions then
# stayed open and were lost (recall 0.887 of the annotated vesicles against
# 0.971), while the synthetic micrographs score the same with either.
_LOW, _HIGH = 1.0, 3.0
# Widths of the band-pass, in working pixels: a lone membrane, and the dark
# band of two or three closely stacked lamellae around a multilamellar
# vesicle. With the first alone, that band broke into arcs on the real
# vesicles (benchmarks/results/real_vesicles.md): 21 of their 31
# multilamellar vesicles were found whole; with both, 27. On the synthetic
# micrographs (benchmarks/results/micrographs.md) precision rose from
# 0.998 / 0.996 to 1.000 and recall stayed at 0.99-1.00.
_MEMBRANE_SIGMAS = (1.0, 2.0)
# Radius, in working pixels, of the disc that bridges the wider gaps of a
# membrane that fades over a few pixels (the 3 x 3 closing bridges one).
# Only the regions such a bridge newly closes are added: bridging every
# gap this wide joins touching neighbours and lost two vesicles found
# before; a disc of radius 3 joins neighbours even so (fewer multilamellar
# and unilamellar vesicles found whole than with no wider bridge). On the
# real vesicles (benchmarks/results/real_vesicles.md) radius 2 found 2
# more of the 31 multilamellar vesicles whole and missed 5 instead of 10
# of the 762 unilamellar ones; the synthetic micrographs
# (benchmarks/results/micrographs.md) score the same.
_WIDE_GAP_RADIUS = 2
# A membrane arc that runs around most of a circle but stays open (a faint
# vesicle whose membrane breaks over more than the bridges span) encloses
# its convex hull when it covers this share of the 36 sectors of 10 degrees
# about its fitted circle's centre, and its pixels lie this close to a
# circle (standard deviation of their distance to the centre, relative to
# the radius). On the real vesicles (benchmarks/results/real_vesicles.md)
# this found 2 more of the unilamellar ones and 8 more vesicles the
# authors did not annotate; the synthetic micrographs score the same.
_OPEN_RING_COVERAGE, _OPEN_RING_SPREAD = 0.75, 0.2
# Two maxima of the distance to the region's edge belong to one particle
# when the region between them is at least this wide (relative to the
# smaller maximum): an elongated particle, not two touching ones.
_SAME_PARTICLE_NECK = 0.7


def working_factor(pixel_size_nm):
    """Integer downsampling that brings the pixel size near 2 nm."""
    return max(1, int(round(WORKING_PIXEL_NM / pixel_size_nm)))


def block_mean(image, factor):
    """``image`` shrunk ``factor`` times by averaging blocks (edges dropped)."""
    if factor == 1:
        return image
    height = image.shape[0] // factor * factor
    width = image.shape[1] // factor * factor
    blocks = image[:height, :width].reshape(
        height // factor, factor, width // factor, factor
    )
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def band_pass(image, sigma, wide=None):
    """Thin dark structures of about ``sigma`` pixels, in noise units.

    The difference of Gaussians of ``sigma`` and ``4 * sigma`` removes the
    smooth background (ice thickness, uneven illumination). The unit is the
    noise level, estimated robustly on a subsample of the pixels, so that
    thresholds mean the same on every micrograph. ``wide``, if given, is the
    image blurred more widely, used in place of the ``4 * sigma`` blur.

    Returns the band-pass and the image blurred by ``sigma`` (denoised).
    """
    fine = ndi.gaussian_filter(image, sigma)
    dog = ndi.gaussian_filter(image, 4 * sigma) if wide is None else wide.copy()
    dog -= fine
    sample = dog[::3, ::3]
    median = np.median(sample)
    spread = 1.4826 * np.median(np.abs(sample - median))
    if not spread > 0:  # a blank micrograph
        spread = 1.0
    dog -= median
    dog /= spread
    return dog, fine


def fill_holes(mask):
    """``mask`` with the background regions it encloses filled.

    Like :func:`scipy.ndimage.binary_fill_holes`, but by labelling the
    background once (4-connected) instead of flooding it step by step,
    which takes time proportional to the image's size only.
    """
    background, _ = ndi.label(~mask)
    outside = np.unique(
        np.concatenate(
            [background[0], background[-1], background[:, 0], background[:, -1]]
        )
    )
    return mask | ~np.isin(background, outside)


def _fill_cut_regions(on, filled, max_extent):
    """Add to ``filled`` the regions closed by membranes and the border.

    For each side and corner, a strip of ``max_extent`` pixels along it is
    filled with that border counted as membrane: a particle cut by the
    border is closed there. Only what this adds inside the strip counts.
    """
    height, width = on.shape
    reach = int(max_extent) + 2
    top, left = slice(0, min(reach, height)), slice(0, min(reach, width))
    bottom = slice(max(height - reach, 0), height)
    right = slice(max(width - reach, 0), width)
    every_row, every_col = slice(0, height), slice(0, width)
    strips = [
        ((top, every_col), ("top",)),
        ((bottom, every_col), ("bottom",)),
        ((every_row, left), ("left",)),
        ((every_row, right), ("right",)),
        ((top, left), ("top", "left")),
        ((top, right), ("top", "right")),
        ((bottom, left), ("bottom", "left")),
        ((bottom, right), ("bottom", "right")),
    ]
    edges = {
        "top": (0, slice(None)),
        "bottom": (-1, slice(None)),
        "left": (slice(None), 0),
        "right": (slice(None), -1),
    }
    for window, sides in strips:
        closed = on[window].copy()
        for side in sides:
            closed[edges[side]] = True
        added = fill_holes(closed) & ~closed & ~filled[window]
        if not added.any():
            continue
        # The border pixels next to an added region belong to it.
        for side in sides:
            row, col = edges[side]
            inner = (
                (1 if row == 0 else -2, col)
                if side in ("top", "bottom")
                else (
                    row,
                    1 if col == 0 else -2,
                )
            )
            added[edges[side]] |= added[inner]
        filled[window] |= added
    return filled


def _closed_by_wider_bridges(membranes, filled):
    """The regions that membranes with gaps of a few pixels enclose.

    ``membranes`` closed with a disc encloses regions whose membrane has a
    gap the 3 x 3 closing leaves open. Only the regions that are not yet in
    ``filled`` are returned, with the bridged membrane around them, so that
    touching neighbours stay apart wherever nothing was missing.
    """
    bridge = disk(_WIDE_GAP_RADIUS)
    bridged = ndi.binary_closing(membranes, bridge)
    enclosed = fill_holes(bridged)
    missing = enclosed & ~bridged & ~filled
    return ndi.binary_dilation(missing, bridge) & enclosed


def _open_rings(on, filled, min_radius, max_radius):
    """The convex hulls of membrane arcs that run around most of a circle.

    A hull is added where it is not mostly filled already and where, one
    pixel wider, it touches no other region: next to a touching vesicle it
    would join the two, and the watershed would not part them again.
    """
    arcs, _ = ndi.label(on, np.ones((3, 3), dtype=bool))
    height, width = on.shape
    added = np.zeros_like(filled)
    for label, box in enumerate(ndi.find_objects(arcs), start=1):
        extent = max(box[0].stop - box[0].start, box[1].stop - box[1].start)
        if not 2 * min_radius <= extent <= 2 * max_radius:
            continue
        arc = arcs[box] == label
        rows, cols = np.nonzero(arc)
        (row, col), radius = _fit_circle(rows.astype(float), cols.astype(float))
        if not min_radius <= radius <= max_radius:
            continue
        if np.hypot(rows - row, cols - col).std() > _OPEN_RING_SPREAD * radius:
            continue
        angles = np.arctan2(rows - row, cols - col)
        sectors = np.unique(np.floor((angles + np.pi) / (2 * np.pi) * 36) % 36)
        if len(sectors) < _OPEN_RING_COVERAGE * 36:
            continue
        hull = convex_hull_image(arc)
        interior = hull & ~arc
        if not interior.any() or filled[box][interior].mean() > 0.5:
            continue
        # The hull and the arc in a box one pixel wider on every side.
        top, left = max(box[0].start - 1, 0), max(box[1].start - 1, 0)
        wider = (
            slice(top, min(box[0].stop + 1, height)),
            slice(left, min(box[1].stop + 1, width)),
        )
        grown = np.zeros(arcs[wider].shape, dtype=bool)
        inner = (
            slice(box[0].start - top, box[0].stop - top),
            slice(box[1].start - left, box[1].stop - left),
        )
        grown[inner] = hull
        grown = ndi.binary_dilation(grown)
        if (grown & filled[wider] & (arcs[wider] != label)).any():
            continue
        added[box] |= hull
    return added


def _split_markers(distance, labels, min_radius):
    """One marker per particle: maxima of ``distance``, merged when close.

    Maxima at least ``min_radius`` apart are candidates; two of the same
    region join when the region between them is nearly as wide as they are
    deep (an elongated particle rather than a waist between two).
    """
    peaks = peak_local_max(
        distance,
        min_distance=max(1, int(min_radius)),
        threshold_abs=0.5 * min_radius,
        labels=labels,
        exclude_border=False,
    )
    markers = np.zeros(distance.shape, dtype=np.int32)
    if not len(peaks):
        return markers
    depth = distance[peaks[:, 0], peaks[:, 1]]
    group = np.arange(len(peaks))
    owner = labels[peaks[:, 0], peaks[:, 1]]
    for region in np.unique(owner):
        members = np.flatnonzero(owner == region)
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                steps = int(np.ceil(np.hypot(*(peaks[a] - peaks[b])))) + 1
                line = np.linspace(peaks[a], peaks[b], steps).T
                neck = ndi.map_coordinates(distance, line, order=1).min()
                if neck >= _SAME_PARTICLE_NECK * min(depth[a], depth[b]):
                    group[group == group[b]] = group[a]
    _, group = np.unique(group, return_inverse=True)
    # Maxima of one particle share a label; watershed grows them as one.
    markers[peaks[:, 0], peaks[:, 1]] = group + 1
    return markers


def candidate_regions(working, *, min_radius, max_radius):
    """Label image of candidate particles at working resolution.

    Parameters
    ----------
    working : ndarray of shape (height, width), float32
        The micrograph at working resolution.
    min_radius, max_radius : float
        Radii, in working pixels, of the smallest and largest particles.

    Returns
    -------
    regions : ndarray of int32, same shape
        0 for background, ``1..n`` for the candidates.
    """
    membranes = np.zeros(working.shape, dtype=bool)
    for sigma in _MEMBRANE_SIGMAS:
        darkness, _ = band_pass(working, sigma)
        membranes |= apply_hysteresis_threshold(darkness, _LOW, _HIGH)
    # Bridge one-pixel gaps in faint membranes.
    on = ndi.binary_closing(membranes, np.ones((3, 3), dtype=bool))
    filled = fill_holes(on)
    filled |= _closed_by_wider_bridges(membranes, filled)
    filled = _fill_cut_regions(on, filled, 2 * max_radius)
    filled |= _open_rings(on, filled, min_radius, max_radius)
    # Thin spurs and lines (a film edge, noise) are not particles.
    filled = ndi.binary_opening(filled, iterations=2)
    labels, _ = ndi.label(filled)
    distance = ndi.distance_transform_edt(filled).astype(np.float32)
    markers = _split_markers(distance, labels, min_radius)
    regions = watershed(-distance, markers, mask=filled).astype(np.int32)
    return regions

"""Automatic segmentation of the particle in the centre of a cut-out."""

import numpy as np
from scipy import ndimage as ndi

from ._filters import along_rays, median_of, membrane_darkness

#: Smallest side of an image the automatic segmentation works on, in pixels.
MIN_SIDE = 8
# Darkness, in noise standard deviations, that marks a membrane; the search
# retries once with a lower value for faint particles.
_THRESHOLDS = (2.5, 1.75)
# Fraction of the directions from the centre in which a closed membrane must
# be seen (faint stretches may be missing).
_MIN_COVERAGE = 0.6


def _sigma_for(shape):
    """Default width of the finest structures kept, for an image of ``shape``."""
    return float(np.clip(min(shape) / 150, 1, 4))


def _hysteresis(image, low, high):
    """``skimage.filters.apply_hysteresis_threshold``, without its label sums.

    Pixels above ``low`` in a 4-connected set that has a pixel above
    ``high``.
    """
    labels, n_labels = ndi.label(image > min(low, high))
    keep = np.zeros(n_labels + 1, dtype=bool)
    keep[labels[image > high]] = True
    return keep[labels]


def _seam_roots(labels, n_labels):
    """Smallest label of the set each label belongs to once the polar map's
    0 / 2 pi seam is closed.

    Pixels of the first and the last ray touch at the same or a neighbouring
    radius (8-connectivity); the sets they belong to become one.
    """
    first, last = labels[0], labels[-1]
    a = np.concatenate([first[:-1], first, first[1:]])
    b = np.concatenate([last[1:], last, last[:-1]])
    touching = (a > 0) & (b > 0)
    root = np.arange(n_labels + 1)
    if not touching.any():
        return root
    # Union-find over the few label pairs across the seam; every set is
    # named by its smallest label.
    parent = {}

    def find(label):
        while parent.get(label, label) != label:
            label = parent[label]
        return label

    for i, j in set(zip(a[touching].tolist(), b[touching].tolist())):
        i, j = find(i), find(j)
        if i != j:
            parent[max(i, j)] = min(i, j)
    for label in parent:
        root[label] = find(label)
    return root


def _outer_radii(on):
    """Largest radius of each connected set of a polar map, per direction.

    ``on`` is a boolean polar map (directions x radii) whose first and last
    rows are neighbours. Returns an int array ``(n_sets, n_directions)``,
    -1 where a set is not seen in a direction, the sets in the order of
    their first pixel.
    """
    labels, n_labels = ndi.label(on, structure=np.ones((3, 3)))
    if n_labels == 0:
        return np.empty((0, on.shape[0]), dtype=int)
    # Outer radii per label, then per set: the sets that meet across the
    # seam take the maximum of their labels' rows (cheaper than relabelling
    # the map).
    angle, radius = np.nonzero(labels)
    outer = np.full((n_labels + 1, on.shape[0]), -1)
    np.maximum.at(outer, (labels[angle, radius], angle), radius)
    root = _seam_roots(labels, n_labels)
    merged = np.flatnonzero(root != np.arange(n_labels + 1))
    if merged.size:
        np.maximum.at(outer, root[merged], outer[merged])
    return outer[1:][root[1:] == np.arange(1, n_labels + 1)]


def _outermost_ring(outer, inside=None):
    """Row of ``outer`` of the outermost set seen in most directions, or None.

    Such a set is a closed ring around the centre; neighbours in the
    surrounding are seen only in a few directions. ``inside`` (directions x
    radii, bool) tells where the rays are in the image: a set is judged by
    the directions in which the image reaches its typical radius, so that
    a particle cut by the image's border still counts as closed.
    """
    seen = outer >= 0
    if inside is None:
        coverage = seen.mean(axis=1)
    else:
        typical = np.array(
            [
                median_of(radii[found]) if found.any() else -1
                for radii, found in zip(outer, seen)
            ]
        )
        column = np.clip(np.round(typical).astype(int), 0, inside.shape[1] - 1)
        possible = inside[:, column].T  # sets x directions
        coverage = (seen & possible).sum(axis=1) / np.maximum(possible.sum(axis=1), 1)
    rings = np.flatnonzero(coverage >= _MIN_COVERAGE)
    if len(rings) == 0:
        return None
    typical = [median_of(outer[ring][seen[ring]]) for ring in rings]
    return outer[rings[int(np.argmax(typical))]]


def segment_particle(image, *, sigma=None, n_angles=180):
    """Mask of the particle in the centre of a cut-out.

    Finds the outermost closed membrane around the image centre: the image is
    band-passed so that thin dark lines stand out from the background and
    the noise, resampled along ``n_angles`` rays from the centre, thresholded
    with hysteresis, and the outermost connected ring seen in most directions
    is kept (inner lamellae, encapsulated content and neighbours in the
    surrounding are thereby ignored). Its outer edge, smoothed over
    neighbouring directions and interpolated across faint gaps, is filled.

    The particle is assumed star-shaped around the image centre, as a
    liposome cut out with its surrounding is. Where no closed membrane is
    found (a blank or featureless image), the ring seen in most directions is
    used, and failing that the disc inscribed in the image.

    Parameters
    ----------
    image : array-like of shape (height, width)
        Grayscale cut-out, dark particle on a brighter background (TEM
        bright field), any numeric dtype.
    sigma : float, default=None
        Width in pixels of the finest structures kept (the membrane's blur).
        ``None`` uses ``min(height, width) / 150`` clipped to [1, 4].
    n_angles : int, default=180
        Number of rays from the centre.

    Returns
    -------
    mask : ndarray of bool, same shape as ``image``
        The particle, interior included; never empty.

    See Also
    --------
    sklearn_lipnet.segmentation.particle_masks : Expert masks where present, this
        segmentation otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.segmentation import segment_particle
    >>> rows, cols = np.mgrid[:120, :120] - 59.5
    >>> ring = np.abs(np.hypot(rows, cols) - 30) < 1.5
    >>> image = 100.0 - 40 * ring + np.random.default_rng(0).normal(0, 5, ring.shape)
    >>> mask = segment_particle(image)
    >>> truth = np.hypot(rows, cols) <= 31.5
    >>> round(float((mask & truth).sum() / (mask | truth).sum()), 1)
    0.9
    """
    mask, _ = _segment(image, sigma=sigma, n_angles=n_angles)
    return mask


def _segment(image, *, sigma=None, n_angles=180):
    """:func:`segment_particle`, also telling whether a closed ring was found."""
    mask, found, _ = _segment_with_darkness(image, sigma=sigma, n_angles=n_angles)
    return mask, found


def _segment_with_darkness(image, *, sigma=None, n_angles=180):
    """:func:`_segment`, and the band-pass it worked on (for the mask check)."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or min(image.shape) < MIN_SIDE:
        raise ValueError(
            f"segment_particle needs a 2-D image of at least {MIN_SIDE} x "
            f"{MIN_SIDE} pixels, got shape {image.shape}."
        )
    height, width = image.shape
    if sigma is None:
        sigma = _sigma_for(image.shape)
    darkness = membrane_darkness(image, sigma)
    centre = ((height - 1) / 2, (width - 1) / 2)
    angles, outer, found = ring_outline(
        darkness, centre, min(height, width) / 2, n_angles=n_angles
    )
    return fill_outline(image.shape, centre, angles, outer), found, darkness


def ring_outline(darkness, centre, max_radius, *, n_angles=180, thresholds=None):
    """Outer edge of the outermost closed membrane around ``centre``.

    The polar half of :func:`segment_particle`: ``darkness`` (membranes
    positive, in noise units, e.g. from :func:`membrane_darkness`) is
    resampled along ``n_angles`` rays of length ``max_radius`` pixels from
    ``centre`` (zero beyond the array), thresholded with hysteresis, and the
    outermost ring seen in most of the directions in which the array
    reaches it is kept. Membrane thresholds (noise units) are tried in turn
    until a ring is found: a strict one, then a lower one for faint
    particles, or those of ``thresholds`` where given.

    Returns
    -------
    angles : ndarray of shape (n_angles,)
        Directions of the rays, from the column axis to the row axis.
    outer : ndarray of shape (n_angles,)
        Distance from ``centre`` to the outer edge in each direction, in
        pixels, interpolated across directions where the ring is not seen.
    found : bool
        Whether a closed ring was found; if not, ``outer`` is the set seen
        in most directions, or the circle of radius ``max_radius``.
    """
    radii = np.arange(0, max_radius, dtype=np.float32)
    angles = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    polar = along_rays(darkness, centre, angles, radii)
    inside = np.isfinite(polar)
    polar[~inside] = 0
    # Membranes run along the angle axis of the polar map: average along it.
    polar = ndi.uniform_filter1d(polar, 5, axis=0, mode="wrap")
    # Near the centre every ray sees the same pixels, and any content there
    # would look like a ring.
    polar[:, : max(3, int(0.08 * len(radii)))] = 0

    for threshold in _THRESHOLDS if thresholds is None else thresholds:
        outer = _outer_radii(_hysteresis(polar, threshold / 2, threshold))
        ring = _outermost_ring(outer, inside)
        if ring is not None:
            break
    found = ring is not None
    if not found and len(outer):
        ring = outer[int(np.argmax((outer >= 0).sum(axis=1)))]
    if ring is None:
        outer = np.full(n_angles, len(radii) - 1.0)
    else:
        seen = ring >= 0
        index = np.arange(n_angles)
        outer = np.interp(index, index[seen], ring[seen], period=n_angles)
        # A median over +-4 directions removes spikes where a neighbour
        # touches the membrane (the middle one of nine values).
        window = (index[:, None] + np.arange(-4, 5)) % n_angles
        outer = np.partition(outer[window], 4, axis=1)[:, 4]
    return angles, outer + 0.5, found


def fill_outline(shape, centre, angles, outer):
    """Mask of ``shape`` enclosed by the outline ``outer(angles)`` about ``centre``.

    Parts of the outline outside the array are cut off.
    """
    centre_row, centre_col = centre
    rows, cols = _polygon_outline(
        np.round(centre_row + np.sin(angles) * outer).astype(np.intp),
        np.round(centre_col + np.cos(angles) * outer).astype(np.intp),
    )
    # Outline, then fill: much faster than a point-in-polygon test per pixel.
    # The outline is 8-connected, which closes it for the 4-connected fill.
    # It is drawn whole on a canvas around it, so that it stays closed where
    # it leaves the array (a particle cut by a micrograph's border).
    top, left = min(rows.min(), 0), min(cols.min(), 0)
    bottom = max(rows.max() + 1, shape[0])
    right = max(cols.max() + 1, shape[1])
    canvas = np.zeros((bottom - top, right - left), dtype=bool)
    canvas[rows - top, cols - left] = True
    canvas = _fill_holes(canvas)
    return canvas[-top : shape[0] - top, -left : shape[1] - left]


def _polygon_outline(rows, cols):
    """Pixels of the closed polygon through the vertices, as line segments.

    The segments of ``skimage.draw.line`` (Bresenham) from each vertex to
    the next and from the last back to the first, all at once: the pixels
    of ``skimage.draw.polygon_perimeter`` without its Python loop over
    segments. Pixels may repeat. (``polygon_perimeter`` passes the vertices
    through matplotlib, which, with its default ``path.simplify``, drops
    vertices of outlines of 128 or more that lie within 1/9 pixel of the
    line through their neighbours, and then draws the longer segment. Every
    segment is drawn here, so in rare outlines a pixel or two differ, and
    the result does not depend on matplotlib's settings.)
    """
    r0, c0 = rows, cols
    r1, c1 = np.roll(rows, -1), np.roll(cols, -1)
    d_rows, d_cols = r1 - r0, c1 - c0
    # Bresenham steps one pixel along the major axis at a time and moves
    # along the minor axis when the error term says so; the k-th pixel's
    # minor offset is round-half-up(k * minor / major) in closed form.
    steep = np.abs(d_rows) > np.abs(d_cols)
    major = np.where(steep, np.abs(d_rows), np.abs(d_cols))
    minor = np.where(steep, np.abs(d_cols), np.abs(d_rows))
    major_sign = np.where(np.where(steep, d_rows, d_cols) > 0, 1, -1)
    minor_sign = np.where(np.where(steep, d_cols, d_rows) > 0, 1, -1)
    counts = major + 1
    segment = np.repeat(np.arange(rows.size), counts)
    step = np.arange(segment.size) - (np.cumsum(counts) - counts)[segment]
    major_s = major[segment]
    offset = (2 * minor[segment] * step + major_s) // np.maximum(2 * major_s, 1)
    along = major_sign[segment] * step
    across = minor_sign[segment] * offset
    steep_s = steep[segment]
    out_rows = r0[segment] + np.where(steep_s, along, across)
    out_cols = c0[segment] + np.where(steep_s, across, along)
    # Each segment ends exactly on the next vertex.
    end = step == major_s
    out_rows[end] = r1[segment[end]]
    out_cols[end] = c1[segment[end]]
    return out_rows, out_cols


def _fill_holes(outline):
    """``ndi.binary_fill_holes(outline)``, looking only at the outline's box.

    Background pixels in 4-connected sets that do not reach the image
    border are filled. Such sets lie inside the outline's bounding box; a
    set that reaches the box's edge (a margin of one pixel, or the image
    border) reaches the image border, since everything outside the box is
    background.
    """
    rows = np.flatnonzero(outline.any(axis=1))
    cols = np.flatnonzero(outline.any(axis=0))
    if rows.size == 0:
        return outline.copy()
    box = (
        slice(max(rows[0] - 1, 0), rows[-1] + 2),
        slice(max(cols[0] - 1, 0), cols[-1] + 2),
    )
    labels, _ = ndi.label(~outline[box])
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    is_hole = np.ones(labels.max() + 1, dtype=bool)
    is_hole[edge] = False
    is_hole[0] = False
    filled = outline.copy()
    filled[box] |= is_hole[labels]
    return filled

"""Density profiles of a particle: intensity as a function of position.

The radial profile looks from the particle's centre outward, the edge
profile from the membrane (the mask's outline) inward, and the
signal-to-noise ratio compares how intensity varies across the membrane with
how it varies along it. Each profile is resampled to a fixed number of bins
so that particles of every size give vectors of the same length.
"""

import numbers

import numpy as np

from ._geometry import ParticleGeometry
from ._intensity import (
    _check_image_and_mask,
    _check_n_bins,
    _clip_index,
    _mean,
    _population_variance,
)

__all__ = [
    "radial_density_profile",
    "edge_density_profile",
    "signal_to_noise",
]


def _binned_means(values, positions, n_bins):
    """Mean of ``values`` in each of ``n_bins`` unit-width bins of ``positions``.

    ``positions`` are in bin units, clipped into [0, n_bins). Bins no pixel
    falls into are filled by linear interpolation between the neighbouring
    filled bins (and the nearest filled bin at the ends), so the profile is
    always finite and reads as a resampled curve.
    """
    index = _clip_index(positions.astype(np.intp), n_bins)
    counts = np.bincount(index, minlength=n_bins)
    sums = np.bincount(index, weights=values, minlength=n_bins)
    filled = counts > 0
    means = np.zeros(n_bins)
    means[filled] = sums[filled] / counts[filled]
    if not filled.all():
        centres = np.arange(n_bins)
        means = np.interp(centres, centres[filled], means[filled])
    return means


def radial_density_profile(image, mask, n_bins=16):
    """Mean intensity in concentric rings from the particle's centre outward.

    The centre is the mask's centroid and the rings are equally wide
    between the centre (distance 0) and the particle pixel farthest from it
    (distance ``r_max``): bin ``i`` averages the mask pixels whose centres
    lie at a distance in ``[i, i + 1) * r_max / n_bins``. Distances are thus
    relative to the particle's size, which resamples every particle to the
    same number of rings.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Intensities, finite inside the mask.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.
    n_bins : int, default=16
        Number of rings.

    Returns
    -------
    profile : ndarray of shape (n_bins,)
        Mean intensity per ring, in image units; the first entry is the
        centre. Rings without a pixel centre (the innermost rings of small
        particles) are interpolated from their neighbours.

    Raises
    ------
    ValueError
        On an empty mask, NaN pixels inside the mask or shapes that differ.

    See Also
    --------
    edge_density_profile : the same with distances from the membrane.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import radial_density_profile
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> radius = np.hypot(xx, yy)
    >>> ring = (np.abs(radius - 22.5) < 2).astype(float)
    >>> profile = radial_density_profile(ring, radius <= 40, n_bins=8)
    >>> profile.round(2)  # bin 4 of 8 spans radii 20 to 25 of 40
    array([0.  , 0.  , 0.  , 0.  , 0.82, 0.  , 0.  , 0.  ])
    """
    image, mask = _check_image_and_mask(image, mask)
    n_bins = _check_n_bins(n_bins)
    return _radial_profile_of(image[mask], ParticleGeometry(mask), n_bins)


def _radial_profile_of(values, geometry, n_bins):
    rows, cols = geometry.rows, geometry.cols
    # Integer sums below 2**53 are exact, so these equal np.mean bit for bit
    # at a third of its cost.
    positions = _ring_positions(
        cols - cols.sum() / cols.size, rows - rows.sum() / rows.size, n_bins
    )
    # The farthest pixel would open bin n_bins; it belongs to the last ring.
    return _binned_means(values, positions, n_bins)


def _ring_positions(dx, dy, n_bins):
    """``d * (n_bins / d.max())`` for the distances ``d = np.hypot(dx, dy)``.

    np.hypot is ten times slower than ``sqrt(dx**2 + dy**2)``; the two
    differ by a few units in the last place, which matters only for the
    largest distance and where a position falls (nearly) on a ring's edge.
    So the fast distances place the pixels, and np.hypot settles the largest
    distance and the pixels near an edge: the rings are exactly np.hypot's.
    A single pixel (all distances 0) gives position 0.
    """
    distance = np.multiply(dx, dx)
    distance += dy * dy
    np.sqrt(distance, out=distance)
    near_max = np.flatnonzero(distance >= distance.max() * (1 - 1e-12))
    r_max = np.hypot(dx[near_max], dy[near_max]).max()
    if r_max == 0:  # a single pixel: one ring
        r_max = 1.0
    scale = n_bins / r_max
    positions = np.multiply(distance, scale, out=distance)
    # Relative differences are below 1e-15, hence the margin of 1e-12.
    offset = positions - positions.astype(np.intp)
    tolerance = 1e-12 * max(n_bins, 1)
    on_edge = np.flatnonzero((offset < tolerance) | (offset > 1 - tolerance))
    positions[on_edge] = np.hypot(dx[on_edge], dy[on_edge]) * scale
    return positions


def _check_depth(depth, name):
    # Below one pixel a band could hold no pixel centre at all.
    if depth is None:
        return None
    if (
        not isinstance(depth, numbers.Real)
        or isinstance(depth, bool)
        or not np.isfinite(depth)
        or depth < 1
    ):
        raise ValueError(
            f"{name} must be None or a number of pixels >= 1, got {depth!r}."
        )
    return float(depth)


def edge_density_profile(image, mask, n_bins=16, depth=None):
    """Mean intensity in bands parallel to the membrane, from the outline inward.

    The distance of each particle pixel from the membrane is its distance
    from the mask's outline (0 at the membrane, half a pixel for the
    outermost pixels), measured with the Euclidean distance transform. Bin
    ``i`` averages the pixels at a distance in
    ``[i, i + 1) * depth / n_bins``.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Intensities, finite inside the mask.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.
    n_bins : int, default=16
        Number of bands.
    depth : float, default=None
        How deep into the particle the profile reaches, in pixels. ``None``
        uses the particle's own depth (its deepest pixel, i.e. about half
        the :func:`maximum_width`), so the profile is resampled to the
        particle's size like :func:`radial_density_profile`. A number gives
        bands of a fixed width, ``depth / n_bins`` pixels, which keeps the
        lamellae of particles of different sizes in the same bins; pixels
        deeper than ``depth`` are left out.

    Returns
    -------
    profile : ndarray of shape (n_bins,)
        Mean intensity per band, in image units; the first entry is at the
        membrane. Bands without a pixel are interpolated from their
        neighbours, and bands deeper than a small particle reaches repeat
        its deepest value.

    Raises
    ------
    ValueError
        On an empty mask, NaN pixels inside the mask, shapes that differ or
        a ``depth`` below one pixel.

    See Also
    --------
    radial_density_profile : the same with distances from the centre.
    signal_to_noise

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import edge_density_profile
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> radius = np.hypot(xx, yy)
    >>> membrane = (radius > 36).astype(float)  # the outer 4 pixels
    >>> edge_density_profile(membrane, radius <= 40, n_bins=5, depth=20).round(2)
    array([0.94, 0.  , 0.  , 0.  , 0.  ])
    """
    image, mask = _check_image_and_mask(image, mask)
    n_bins = _check_n_bins(n_bins)
    depth = _check_depth(depth, "depth")
    return _edge_profile_of(image[mask], ParticleGeometry(mask), n_bins, depth)


def _edge_profile_of(values, geometry, n_bins, depth):
    depths = geometry.depths
    if depth is None:
        depth = max(float(depths.max()), 0.5)
    else:
        inside = depths < depth
        values, depths = values[inside], depths[inside]
    return _binned_means(values, depths * (n_bins / depth), n_bins)


def signal_to_noise(image, mask, band_width=None):
    """How much of the membrane's intensity variance runs across it.

    The membrane band is the outer ``band_width`` pixels of the particle,
    cut into one-pixel-wide rings parallel to the outline. Intensity
    variance across the membrane is the variance of the ring means (the
    edge profile's structure, the signal); variance along the membrane is
    the mean variance within the rings (the noise). Their ratio is
    unbounded and undefined for noise-free images, so it is returned as
    the across share of the band's total variance:

    ``across / (across + along) = snr / (1 + snr)``.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Intensities, finite inside the mask.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.
    band_width : float, default=None
        Width of the membrane band in pixels. ``None`` uses a quarter of
        the particle's depth (about an eighth of its
        :func:`maximum_width`), at least 2 pixels.

    Returns
    -------
    signal_to_noise : float
        In [0, 1]: 1 when intensity changes only across the membrane
        (clean concentric structure), near 0 when it is noise along the
        membrane; 0 when the band has no intensity variation at all.

    Raises
    ------
    ValueError
        On an empty mask, NaN pixels inside the mask, shapes that differ or
        a ``band_width`` below one pixel.

    See Also
    --------
    edge_density_profile, internal_variance

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import signal_to_noise
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> radius = np.hypot(xx, yy)
    >>> disk = radius <= 40
    >>> rings = (radius > 37).astype(float)
    >>> round(signal_to_noise(rings, disk, band_width=8), 2)
    0.94
    >>> noise = np.random.default_rng(0).random(disk.shape)
    >>> round(signal_to_noise(noise, disk, band_width=8), 2)
    0.0
    """
    image, mask = _check_image_and_mask(image, mask)
    band_width = _check_depth(band_width, "band_width")
    return float(_signal_to_noise_of(image[mask], ParticleGeometry(mask), band_width))


def _signal_to_noise_of(values, geometry, band_width):
    depths = geometry.depths
    if band_width is None:
        band_width = max(2.0, float(depths.max()) / 4)
    in_band = depths < band_width
    values, depths = values[in_band], depths[in_band]
    ring = depths.astype(np.intp)
    counts = np.bincount(ring)
    filled = counts > 0
    ring_means = np.bincount(ring, weights=values)[filled] / counts[filled]
    counts = counts[filled]
    # Law of total variance: total = between-ring (across) + within-ring
    # (along) variance, so one extra mean gives both.
    if values.max() == values.min():
        return 0.0
    mean = _mean(values)
    across = counts @ (ring_means - mean) ** 2 / values.size
    total = _population_variance(values, mean)
    return min(across / total, 1.0)

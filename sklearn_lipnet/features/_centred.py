"""Mask-free features: intensity about the centre of the cut-out.

A particle picker centres its cut-outs on the particle, so the centre of the
cut-out stands in for the particle's centre and the inscribed circle for its
surrounding: these features need no segmentation. Each takes a 2-D ``image``
and works in its units; distances are measured from the cut-out's centre,
``((height - 1) / 2, (width - 1) / 2)``, in units of the inscribed circle's
radius ``R = min(height, width) / 2``, so that cut-outs of every size give
vectors of the same length. Pixels at distance ``R`` or more (the corners)
are left out.
"""

from functools import lru_cache

import numpy as np
from scipy import ndimage as ndi

from ..utils import check_image
from ._intensity import _check_n_bins
from ._profile import _binned_means

__all__ = [
    "angular_harmonics",
    "density_moments",
    "orientation_coherence",
    "ring_profile",
    "ring_spread",
]


class CentredDisc:
    """The pixels of a cut-out's inscribed disc, in polar coordinates.

    Attributes
    ----------
    inside : ndarray of bool of shape (height, width)
        Pixels whose centre is closer to the cut-out's centre than ``R``.
    radius : ndarray of float
        Their distance from the centre over ``R``, in [0, 1).
    angle_cos, angle_sin : ndarray of float
        ``cos`` and ``sin`` of their direction (x to the right, y down).
    dx, dy : ndarray of float
        Their offsets from the centre over ``R``.
    """

    def __init__(self, shape):
        height, width = shape
        half = min(height, width) / 2
        # A column and a row, broadcast: the same values as full grids.
        dy = ((np.arange(height) - (height - 1) / 2) / half)[:, None]
        dx = (np.arange(width) - (width - 1) / 2) / half
        radius = np.hypot(dx, dy)
        self.inside = radius < 1
        self.radius = radius[self.inside]
        self.dx = np.broadcast_to(dx, shape)[self.inside]
        self.dy = np.broadcast_to(dy, shape)[self.inside]
        safe = np.where(self.radius > 0, self.radius, 1.0)
        self.angle_cos = self.dx / safe
        self.angle_sin = self.dy / safe
        for array in vars(self).values():
            array.flags.writeable = False  # shared between particles: see below


@lru_cache(maxsize=8)
def centred_disc(shape):
    """The :class:`CentredDisc` of ``shape``, shared by cut-outs of that shape.

    A particle picker cuts boxes of one size, so a few shapes recur; the
    disc's arrays (read-only) are then computed once per process instead of
    once per particle.
    """
    return CentredDisc(tuple(int(side) for side in shape))


def _check_centred_image(image):
    image = check_image(np.asarray(image), finite_where="all")
    if min(image.shape) < 3:
        raise ValueError(
            f"the cut-out must be at least 3 x 3 pixels, got shape {image.shape}"
        )
    return image.astype(np.float64, copy=False)


def ring_profile(image, n_bins=16):
    """Mean intensity in rings about the centre of the cut-out.

    Bin ``i`` averages the pixels at a distance from the cut-out's centre
    in ``[i, i + 1) * R / n_bins``, where ``R = min(height, width) / 2`` is
    the radius of the inscribed circle; the corners beyond ``R`` are left
    out. A centred particle's rings (membranes, halo, core) thus show up
    in fixed bins whatever the cut-out's size, without a mask.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A cut-out centred on the particle, finite, at least 3 x 3 pixels.
    n_bins : int, default=16
        Number of rings.

    Returns
    -------
    profile : ndarray of shape (n_bins,)
        Mean intensity per ring, in image units, the centre first. Rings
        without a pixel centre (the innermost rings of small cut-outs) are
        interpolated from their neighbours.

    See Also
    --------
    radial_density_profile : the same inside a mask, about its centroid.
    ring_spread : how much the intensity varies within each ring.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import ring_profile
    >>> rows, cols = np.mgrid[:101, :101]
    >>> radius = np.hypot(rows - 50, cols - 50)
    >>> ring = (np.abs(radius - 28) < 2).astype(float)  # R = 50.5
    >>> ring_profile(ring, n_bins=8).round(2)  # 4 of bin 4's 6.3 px are ring
    array([0.  , 0.  , 0.  , 0.  , 0.62, 0.  , 0.  , 0.  ])
    """
    image = _check_centred_image(image)
    n_bins = _check_n_bins(n_bins)
    disc = centred_disc(image.shape)
    return _ring_profile_of(image[disc.inside], disc, n_bins)


def _ring_profile_of(values, disc, n_bins):
    return _binned_means(values, disc.radius * n_bins, n_bins)


def ring_spread(image, n_bins=16):
    """Standard deviation of the intensity within each ring about the centre.

    The rings are those of :func:`ring_profile`. A particle that looks the
    same in every direction (a round vesicle) varies little along its
    rings; content that breaks the symmetry (a crystal, a neighbour, an
    overlapping vesicle) or noise makes the spread grow.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A cut-out centred on the particle, finite, at least 3 x 3 pixels.
    n_bins : int, default=16
        Number of rings.

    Returns
    -------
    spread : ndarray of shape (n_bins,)
        Population standard deviation per ring, in image units. Rings with
        fewer than two pixels are interpolated from their neighbours.

    See Also
    --------
    ring_profile : the mean of each ring.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import ring_spread
    >>> rows, cols = np.mgrid[:64, :64]
    >>> halves = np.where(cols < 32, 0.0, 2.0)  # left half 0, right half 2
    >>> ring_spread(halves, n_bins=4).round(2)
    array([1., 1., 1., 1.])
    """
    image = _check_centred_image(image)
    n_bins = _check_n_bins(n_bins)
    disc = centred_disc(image.shape)
    return _ring_spread_of(image[disc.inside], disc, n_bins)


def _ring_spread_of(values, disc, n_bins):
    position = disc.radius * n_bins
    index = np.clip(position.astype(np.intp), 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    sums = np.bincount(index, weights=values, minlength=n_bins)
    filled = counts > 1
    means = np.zeros(n_bins)
    means[counts > 0] = sums[counts > 0] / counts[counts > 0]
    # Two passes (deviations from the ring means), not E[x^2] - E[x]^2,
    # which cancels badly for nearly constant rings.
    squares = np.bincount(index, weights=(values - means[index]) ** 2, minlength=n_bins)
    spread = np.zeros(n_bins)
    spread[filled] = np.sqrt(squares[filled] / counts[filled])
    if filled.any() and not filled.all():
        centres = np.arange(n_bins)
        spread = np.interp(centres, centres[filled], spread[filled])
    return spread


def angular_harmonics(image, n_harmonics=4, n_rings=3):
    r"""Amplitudes of the intensity's angular harmonics about the centre, per ring.

    The inscribed disc is cut into ``n_rings`` equally wide rings (as in
    :func:`ring_profile`). Over the pixels of each ring, with
    :math:`\theta` their direction from the cut-out's centre and
    :math:`\bar v` their mean intensity,

    .. math:: a_k = \frac{2}{N} \left| \sum (v - \bar v)\, e^{-i k \theta} \right|

    for ``k = 1 ... n_harmonics``. An image
    :math:`v = m + a \cos(k\theta + \varphi)` gives :math:`a_k = a` (up to
    the pixel grid's sampling of the directions): the amplitude of the
    ``k``-fold pattern, whatever its orientation. Rotating the particle
    changes only the phases, so the amplitudes are rotation invariant:
    ``k = 1`` measures a particle off-centre or heavier on one side,
    ``k = 2`` an elongated particle or a rod, higher ``k`` corners and
    facets; the rings tell the interior (a rod inside a vesicle) from the
    outline.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A cut-out centred on the particle, finite, at least 3 x 3 pixels.
    n_harmonics : int, default=4
        Number of harmonics, from ``k = 1``.
    n_rings : int, default=3
        Number of rings; 1 takes the whole disc.

    Returns
    -------
    amplitudes : ndarray of shape (n_rings * n_harmonics,)
        In image units: the harmonics of the innermost ring first. A ring
        without pixels gives zeros.

    See Also
    --------
    ring_spread : all of the angular variation, per ring.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import angular_harmonics
    >>> rows, cols = np.mgrid[:81, :81] - 40.0
    >>> theta = np.arctan2(rows, cols)
    >>> image = 5 + 0.5 * np.cos(2 * theta + 0.3)
    >>> angular_harmonics(image, 4, n_rings=1).round(3)
    array([0. , 0.5, 0. , 0. ])
    """
    image = _check_centred_image(image)
    n_harmonics = _check_n_bins(n_harmonics)
    n_rings = _check_n_bins(n_rings)
    disc = centred_disc(image.shape)
    return _angular_harmonics_of(image[disc.inside], disc, n_harmonics, n_rings)


def _angular_harmonics_of(values, disc, n_harmonics, n_rings):
    ring = np.minimum((disc.radius * n_rings).astype(np.intp), n_rings - 1)
    unit = disc.angle_cos - 1j * disc.angle_sin  # exp(-i theta)
    amplitudes = np.zeros((n_rings, n_harmonics))
    # The centre pixel has no direction.
    usable = disc.radius > 0
    for index in range(n_rings):
        selected = usable & (ring == index)
        n_pixels = int(selected.sum())
        if n_pixels == 0:
            continue
        deviation = values[selected] - values[selected].mean()
        direction = unit[selected]
        power = np.ones_like(direction)
        for k in range(n_harmonics):
            power = power * direction
            amplitudes[index, k] = 2 * abs(np.sum(deviation * power)) / n_pixels
    return amplitudes.ravel()


def orientation_coherence(image, n_rings=3, sigma=1.0):
    r"""How much the edges in each ring about the centre share one orientation.

    The image is smoothed with a Gaussian of ``sigma`` pixels and its
    gradient :math:`g = g_x + i g_y` taken (central differences). Over the
    pixels of each of ``n_rings`` rings (as in :func:`angular_harmonics`),

    .. math:: \text{coherence} = \frac{\left|\sum g^2\right|}{\sum |g|^2}

    in [0, 1]: the doubled gradient angles cancel where edges run in every
    direction (a round membrane, isotropic noise) and add up where they
    run one way (a rod, a straight edge, stripes) — 1 for straight parallel
    edges, whatever their direction. The second number per ring is the
    mean squared gradient :math:`\overline{|g|^2}`, how much edge there is.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A cut-out centred on the particle, finite, at least 3 x 3 pixels.
    n_rings : int, default=3
        Number of rings; 1 takes the whole disc.
    sigma : float, default=1.0
        Smoothing before the gradient, in pixels (0: none).

    Returns
    -------
    coherence : ndarray of shape (2 * n_rings,)
        Coherence and mean squared gradient (image units per pixel,
        squared) of each ring, the innermost first. A ring without edges
        has coherence 0.

    See Also
    --------
    angular_harmonics : the same symmetry in the intensities.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import orientation_coherence
    >>> rows, cols = np.mgrid[:64, :64] - 31.5
    >>> stripes = np.sin((rows + cols) / 3)  # diagonal stripes
    >>> rings = np.sin(np.hypot(rows, cols) / 3)  # concentric rings
    >>> orientation_coherence(stripes, n_rings=1)[0].round(2)
    np.float64(1.0)
    >>> orientation_coherence(rings, n_rings=1)[0].round(2)
    np.float64(0.0)
    """
    image = _check_centred_image(image)
    n_rings = _check_n_bins(n_rings)
    sigma = float(sigma)
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a non-negative number, got {sigma!r}.")
    disc = centred_disc(image.shape)
    return _orientation_coherence_of(image, disc, n_rings, sigma)


def _orientation_coherence_of(image, disc, n_rings, sigma):
    smooth = ndi.gaussian_filter(image, sigma) if sigma > 0 else image
    g_rows, g_cols = np.gradient(smooth)
    gradient = g_cols[disc.inside] + 1j * g_rows[disc.inside]
    squared = gradient * gradient
    energy = np.abs(squared)
    ring = np.minimum((disc.radius * n_rings).astype(np.intp), n_rings - 1)
    total = np.bincount(ring, weights=energy, minlength=n_rings)
    counts = np.bincount(ring, minlength=n_rings)
    aligned = np.abs(
        np.bincount(ring, weights=squared.real, minlength=n_rings)
        + 1j * np.bincount(ring, weights=squared.imag, minlength=n_rings)
    )
    coherence = np.divide(aligned, total, out=np.zeros(n_rings), where=total > 0)
    mean_energy = np.divide(total, counts, out=np.zeros(n_rings), where=counts > 0)
    return np.column_stack([np.minimum(coherence, 1.0), mean_energy]).ravel()


#: Columns of :func:`density_moments`.
DENSITY_MOMENT_NAMES = (
    "density_mass",
    "density_radius",
    "density_offset",
    "density_anisotropy",
    "density_c21",
    "density_c30",
)


def density_moments(image, background=None):
    r"""Moments of the particle's density over the cut-out, without a mask.

    The density is the darkness below the background,
    :math:`w = \max(b - v, 0)`, over the inscribed disc's pixels, where
    :math:`b` is the ``background`` intensity (default: the median of the
    outermost ring, ``r > 0.8 R``). With offsets :math:`(x, y)` from the
    density's centroid in units of ``R``, :math:`z = x + i y`,
    :math:`\mu_{pq} = \sum w\, x^p y^q` and :math:`s^2 = (\mu_{20} +
    \mu_{02}) / \mu_{00}`:

    - ``density_mass``: :math:`\mu_{00} / N`, the mean darkness (image
      units);
    - ``density_radius``: :math:`s`, the radius of gyration over ``R`` (a
      uniform disc of radius ``r`` gives :math:`r / (\sqrt 2 R)`);
    - ``density_offset``: distance of the centroid from the cut-out's
      centre over ``R``;
    - ``density_anisotropy``: :math:`\sqrt{(\mu_{20} - \mu_{02})^2 +
      4 \mu_{11}^2} / (\mu_{20} + \mu_{02})` in [0, 1], 0 for round
      shapes, :math:`(a^2 - b^2) / (a^2 + b^2)` for a uniform ellipse of
      semi-axes ``a`` and ``b``;
    - ``density_c21``, ``density_c30``: :math:`|\sum w z^2 \bar z|` and
      :math:`|\sum w z^3|` over :math:`\mu_{00} s^3`, dimensionless
      third-order asymmetries (0 for shapes symmetric under a half turn).

    All but the mass are independent of the contrast, and all are
    invariant under rotations of the particle about the centre.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A cut-out centred on the particle, dark on a brighter background
        (TEM bright field), finite, at least 3 x 3 pixels.
    background : float, default=None
        Intensity of the empty background; ``None`` estimates it.

    Returns
    -------
    moments : ndarray of shape (6,)
        In the order above. A cut-out without any pixel darker than the
        background gives zeros.

    See Also
    --------
    central_moments : moments inside a mask.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import density_moments
    >>> rows, cols = np.mgrid[:101, :101] - 50.0
    >>> ellipse = (cols / 30) ** 2 + (rows / 15) ** 2 <= 1
    >>> image = np.where(ellipse, 0.2, 1.0)
    >>> density_moments(image).round(2)  # anisotropy 0.6 for the true ellipse
    array([0.14, 0.33, 0.  , 0.61, 0.  , 0.  ])
    """
    image = _check_centred_image(image)
    disc = centred_disc(image.shape)
    if background is not None:
        background = float(background)
        if not np.isfinite(background):
            raise ValueError(f"background must be finite, got {background!r}.")
    return _density_moments_of(image[disc.inside], disc, background)


def _density_moments_of(values, disc, background=None):
    if background is None:
        border = values[disc.radius > 0.8]
        background = float(np.median(border if border.size else values))
    weights = np.maximum(background - values, 0.0)
    total = weights.sum()
    if not total > 0:
        return np.zeros(len(DENSITY_MOMENT_NAMES))
    cx = weights @ disc.dx / total
    cy = weights @ disc.dy / total
    x, y = disc.dx - cx, disc.dy - cy
    mu20, mu02, mu11 = weights @ (x * x), weights @ (y * y), weights @ (x * y)
    second = mu20 + mu02
    if not second > 0:  # all the density in one pixel
        return np.array([total / values.size, 0.0, np.hypot(cx, cy), 0, 0, 0])
    radius = np.sqrt(second / total)
    anisotropy = np.hypot(mu20 - mu02, 2 * mu11) / second
    z = x + 1j * y
    z2 = z * z
    scale = total * radius**3
    c21 = abs(weights @ (z2 * np.conj(z))) / scale
    c30 = abs(weights @ (z2 * z)) / scale
    return np.array(
        [total / values.size, radius, np.hypot(cx, cy), anisotropy, c21, c30]
    )

"""Drawing primitives for synthetic cryo-TEM cut-outs.

Objects are drawn as *projected density* (an optical depth, dimensionless) into
a float32 canvas; :func:`form_image` turns the density into a noisy micrograph.
All lengths are in pixels, angles in radians, coordinates ``(row, column)``
with pixel centres on integers.
"""

import numpy as np
from scipy import ndimage as ndi

from ._noise import fractal_noise

# Directions in which an outline is sampled to find its bounding box.
_EXTENT_ANGLES = np.linspace(0, 2 * np.pi, 128, endpoint=False)


def _radial_factor(z, coef):
    """``1 + Re(sum_k coef[k - 1] * z**k)`` by Horner's rule.

    With ``z = exp(i t)`` this is the Fourier series ``1 + sum_k a_k cos(k t)
    + b_k sin(k t)`` for ``coef = a - i b``; getting ``z`` from pixel offsets
    as ``(dx + i dy) / r`` avoids ``arctan2`` and ``cos``, which dominate the
    cost otherwise.
    """
    total = np.full_like(z, coef[-1])
    for c in coef[-2::-1]:
        total *= z
        total += c
    total *= z
    return 1 + total.real


class Outline:
    """A closed, star-shaped curve ``r(t) = radius * factor(t)`` around a centre.

    ``factor(t) = 1 + sum_k a_k cos(k t) + b_k sin(k t)``, stored as
    ``coef = a - i b``; small amplitudes give the slightly irregular outline
    of a vesicle, a large second harmonic an elongated one. Coordinates are
    ``(row, col)`` in pixels, ``t`` runs from the column axis to the row axis.
    """

    def __init__(self, row, col, radius, coef, offsets=None):
        self.row = float(row)
        self.col = float(col)
        self.radius = float(radius)
        self.coef = np.asarray(coef, dtype=np.complex64)
        self._offsets = offsets

    @classmethod
    def random(
        cls,
        row,
        col,
        radius,
        rng,
        *,
        irregularity,
        elongation=0.0,
        angle=None,
        n_harmonics=6,
    ):
        """Random outline: harmonic amplitudes fall off like ``1 / k**1.5``.

        ``elongation`` adds a second harmonic that stretches the shape along
        direction ``angle`` (random if None) by that relative amount.
        """
        k = np.arange(1, n_harmonics + 1)
        amplitude = irregularity * k**-1.5
        amplitude[0] *= 0.3  # the first harmonic only shifts the shape
        coef = rng.normal(0, amplitude) - 1j * rng.normal(0, amplitude)
        if elongation:
            angle = rng.uniform(0, np.pi) if angle is None else angle
            coef[1] += elongation * np.exp(-2j * angle)
        return cls(row, col, radius, coef)

    def scaled(self, factor, *, row=None, col=None):
        """The same shape, ``factor`` times as large, optionally moved."""
        offsets = None if self._offsets is None else self._offsets * factor
        return Outline(
            self.row if row is None else row,
            self.col if col is None else col,
            self.radius * factor,
            self.coef,
            offsets,
        )

    def moved(self, d_row, d_col):
        """The same outline, its centre moved by ``(d_row, d_col)``."""
        return self.scaled(1.0, row=self.row + d_row, col=self.col + d_col)

    def radius_at(self, angle):
        """Distance from the centre to the curve in direction ``angle``."""
        return self.radius * _radial_factor(np.exp(1j * np.asarray(angle)), self.coef)

    def min_radius(self):
        """Smallest distance from the centre to the curve."""
        return float(self.radius_at(_EXTENT_ANGLES).min())

    def long_axis(self):
        """Direction in which the second harmonic stretches the outline."""
        return 0.5 * np.angle(np.conj(self.coef[1]))

    def extent(self):
        """``(top, bottom, left, right)`` of the curve, in canvas coordinates."""
        if self._offsets is None:
            r = self.radius_at(_EXTENT_ANGLES)
            rows, cols = r * np.sin(_EXTENT_ANGLES), r * np.cos(_EXTENT_ANGLES)
            self._offsets = np.array([rows.min(), rows.max(), cols.min(), cols.max()])
        return self._offsets + (self.row, self.row, self.col, self.col)

    def window(self, shape, margin=2.0):
        """Slices of a canvas of ``shape`` holding the curve, or None if outside."""
        top, bottom, left, right = self.extent()
        r0 = max(int(np.floor(top - margin)), 0)
        r1 = min(int(np.ceil(bottom + margin)) + 1, shape[0])
        c0 = max(int(np.floor(left - margin)), 0)
        c1 = min(int(np.ceil(right + margin)) + 1, shape[1])
        if r0 >= r1 or c0 >= c1:
            return None
        return slice(r0, r1), slice(c0, c1)

    def normalized_radius(self, window):
        """``r / factor(t)`` on the window: equals ``radius`` on the curve.

        Turns the irregular shape into a sphere of radius ``radius`` so that
        projections of spheres and shells can be evaluated on it.
        """
        rows = np.arange(window[0].start, window[0].stop, dtype=np.float32)
        cols = np.arange(window[1].start, window[1].stop, dtype=np.float32)
        rows = (rows - np.float32(self.row))[:, None]
        cols = (cols - np.float32(self.col))[None, :]
        r = np.sqrt(rows**2 + cols**2)
        inv_r = 1 / np.maximum(r, np.float32(1e-3))
        z = np.empty(r.shape, dtype=np.complex64)
        z.real = cols * inv_r
        z.imag = rows * inv_r
        return r / _radial_factor(z, self.coef)


def _shell_chord(rho_sq, inner, outer):
    """Projected thickness of a spherical shell ``inner <= r <= outer``.

    ``rho_sq`` is the squared distance from the sphere's axis of projection.
    """
    chord = np.sqrt(np.maximum(np.float32(outer**2) - rho_sq, 0))
    if inner > 0:
        chord -= np.sqrt(np.maximum(np.float32(inner**2) - rho_sq, 0))
    return chord


def add_bilayer(density, outline, contrast, *, thickness, head):
    """Draw a lipid bilayer whose outer surface is ``outline``.

    The two head-group layers (``head`` pixels thick, the outer surfaces
    ``thickness`` pixels apart) are spherical shells seen in projection, so
    they appear as two dark lines, darkest where the line of sight runs
    tangentially through them. ``contrast`` is the optical depth of the outer
    line at its darkest, before blurring.
    """
    window = outline.window(density.shape)
    if window is None:
        return
    rho_sq = outline.normalized_radius(window) ** 2
    outer = outline.radius
    inner = outer - thickness
    chords = _shell_chord(rho_sq, outer - head, outer)
    if inner > head:
        chords += _shell_chord(rho_sq, inner, inner + head)
    peak = np.sqrt(outer**2 - (outer - head) ** 2)
    density[window] += np.float32(contrast / peak) * chords


def add_body(density, outline, optical_depth):
    """Draw a dense body (ice grain, blob) as a sphere of the outline's shape."""
    window = outline.window(density.shape)
    if window is None:
        return
    rho_sq = outline.normalized_radius(window) ** 2
    chord = _shell_chord(rho_sq, 0, outline.radius)
    density[window] += np.float32(optical_depth / outline.radius) * chord


def inside(shape, outline):
    """Boolean mask of the canvas pixels enclosed by ``outline``."""
    mask = np.zeros(shape, dtype=bool)
    window = outline.window(shape)
    if window is not None:
        mask[window] = outline.normalized_radius(window) <= outline.radius
    return mask


def add_rods(
    density,
    row,
    col,
    angle,
    half_length,
    half_width,
    bend,
    optical_depth,
    *,
    count=1,
    spacing=0.0,
    striation=0.0,
    period=3.0,
    rng,
):
    """Draw a bundle of ``count`` parallel, slightly bent capsule-shaped rods.

    The rod-like crystal of liposomal doxorubicin: ``angle`` is the long
    axis, ``bend`` the curvature of its centre line (1/pixels), ``striation``
    the relative depth of the fibre pattern along the rod.
    """
    reach = half_length + abs(bend) * half_length**2 + count * spacing + half_width
    r0 = max(int(row - reach) - 1, 0)
    r1 = min(int(row + reach) + 2, density.shape[0])
    c0 = max(int(col - reach) - 1, 0)
    c1 = min(int(col + reach) + 2, density.shape[1])
    if r0 >= r1 or c0 >= c1:
        return
    dy = np.arange(r0, r1, dtype=np.float32)[:, None] - np.float32(row)
    dx = np.arange(c0, c1, dtype=np.float32)[None, :] - np.float32(col)
    along = dx * np.float32(np.cos(angle)) + dy * np.float32(np.sin(angle))
    across = dy * np.float32(np.cos(angle)) - dx * np.float32(np.sin(angle))
    across -= np.float32(bend) * along**2
    cap = np.maximum(np.abs(along) - np.float32(half_length - half_width), 0) ** 2
    chord = np.zeros_like(along)
    for offset in (np.arange(count) - (count - 1) / 2) * spacing:
        shifted = across - np.float32(offset)
        chord += np.sqrt(np.maximum(np.float32(half_width**2) - shifted**2 - cap, 0))
    if striation:
        phase = rng.uniform(0, 2 * np.pi)
        chord *= 1 + np.float32(striation) * np.cos(
            np.float32(2 * np.pi / period) * across + np.float32(phase)
        )
    density[r0:r1, c0:c1] += np.float32(optical_depth / half_width) * chord


def add_film_edge(density, rng, *, optical_depth, angle, offset, roughness):
    """Draw the edge of a carbon film: a dense half-plane with a ragged border.

    ``offset`` is the signed distance in pixels of the edge from the canvas
    centre along direction ``angle`` (the film lies beyond it).
    """
    height, width = density.shape
    dy = np.arange(height, dtype=np.float32)[:, None] - np.float32(height / 2)
    dx = np.arange(width, dtype=np.float32)[None, :] - np.float32(width / 2)
    distance = dx * np.float32(np.cos(angle)) + dy * np.float32(np.sin(angle))
    ragged = distance - np.float32(offset)
    ragged += roughness * fractal_noise(density.shape, 40, rng, octaves=3)
    density += np.float32(optical_depth) * np.clip(ragged / 4 + 0.5, 0, 1)


def form_image(density, rng, *, psf_sigma, fringe, background, noise):
    """Micrograph intensity from projected density, in units of the mean beam.

    The density is blurred by the optics (a Gaussian of ``psf_sigma`` px)
    with a bright Fresnel fringe around edges (weight ``fringe``), attenuates
    a beam whose strength varies smoothly by ``background`` (relative
    amplitude of fractal noise, e.g. uneven ice), and shot noise of relative
    standard deviation ``noise`` (at unit intensity) is added.
    """
    # In-place arithmetic throughout: this runs on every pixel of every image.
    depth = ndi.gaussian_filter(density, psf_sigma, truncate=3.0)
    if fringe:
        wide = ndi.gaussian_filter(density, 3 * psf_sigma, truncate=2.5)
        wide *= np.float32(fringe)
        depth *= np.float32(1 + fringe)
        depth -= wide
    np.negative(depth, out=depth)
    transmission = np.exp(depth, out=depth)
    intensity = fractal_noise(density.shape, 0.25 * max(density.shape), rng)
    intensity *= np.float32(background)
    intensity += 1
    intensity *= transmission
    # Counting statistics: the variance is proportional to the intensity.
    spread = np.maximum(intensity, 0, out=transmission)
    np.sqrt(spread, out=spread)
    spread *= np.float32(noise)
    spread *= rng.standard_normal(density.shape, dtype=np.float32)
    intensity += spread
    return intensity


def expose(density, rng, *, noise, noise_scale=1.0):
    """An 8-bit micrograph of ``density`` with randomly drawn optics.

    Blur, fringe, background variation and shot noise as in
    :func:`form_image`, scaled by ``noise`` (``noise_scale`` scales the shot
    noise alone), then exported like a microscope's 8-bit image: a gray
    background with some headroom, clipped to 0-255.
    """
    intensity = form_image(
        density,
        rng,
        psf_sigma=rng.uniform(0.5, 0.8),
        fringe=rng.uniform(0.15, 0.45),
        background=noise * rng.uniform(0.03, 0.09),
        noise=noise * noise_scale * rng.uniform(0.07, 0.14),
    )
    level, gain = rng.uniform(115, 160), rng.uniform(100, 130)
    intensity -= 1
    intensity *= np.float32(gain)
    intensity += np.float32(level + 0.5)
    return np.clip(intensity, 0, 255, out=intensity).astype(np.uint8)

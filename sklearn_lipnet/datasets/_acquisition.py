"""The hard regime of ``make_liposomes``: small, low-dose, blurred, JPEG cut-outs.

Real cut-outs are often far from the thesis's: the particle spans a few dozen
pixels, the dose is low, the image is out of focus, it went through JPEG, and
every micrograph was taken at its own magnification and exposure. Here the
particles are grouped into micrographs that share those conditions; each
scene is drawn ``_OVERSAMPLING`` times finer than the micrograph's pixels,
blurred, binned to the detector's pixels, exposed with Poisson counting noise
and exported to 8 bits and JPEG. Every length below is in detector pixels
unless it says otherwise.
"""

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage as ndi

from ._noise import fractal_noise

#: The imaging conditions of ``make_liposomes(regime="hard")``, drawn per
#: micrograph from these ranges.
HARD_REGIME = {
    # Diameter of a particle of the problem's typical size, in pixels: sets
    # each micrograph's pixel size.
    "particle_size_px": (24.0, 40.0),
    # Electrons per pixel through empty ice: relative shot noise 1 / sqrt(dose).
    "dose": (10.0, 60.0),
    # Standard deviation of the Gaussian blur of the optics (defocus), px.
    "blur_px": (0.6, 1.5),
    # JPEG quality of the exported cut-outs (Pillow's scale, 1-95).
    "jpeg_quality": (30.0, 90.0),
}

# Scenes are drawn this many times finer than the detector's pixels, then
# binned, so that membranes thinner than a pixel still add their density.
_OVERSAMPLING = 3
# Particles per micrograph.
_MICROGRAPH_SIZES = (10, 30)
# Side of a square cut-out over the particle's largest extent.
_CONTEXT = (1.15, 1.6)
# How far a picked centre may be off the particle's, over its extent.
_CENTRING_ERROR = 0.06
# Smallest cut-out side.
_MIN_SIDE = 8


@dataclass(frozen=True)
class Micrograph:
    """Imaging conditions shared by the particles of one micrograph."""

    name: str
    pixel_size_nm: float
    dose: float
    blur_px: float
    fringe: float
    background: float
    level: float
    gain: float
    jpeg_quality: int


def _uniform(rng, bounds):
    low, high = bounds
    return float(rng.uniform(low, high)) if high > low else float(low)


def draw_micrographs(
    n_samples,
    rng,
    *,
    typical_diameter_nm,
    pixel_size_nm,
    particle_size_px,
    dose,
    blur_px,
    jpeg_quality,
):
    """Micrographs for ``n_samples`` particles and which particle is on which.

    Parameters
    ----------
    n_samples : int
    rng : numpy.random.Generator
    typical_diameter_nm : float
        Diameter of a typical particle of the problem.
    pixel_size_nm : float or None
        One pixel size for every micrograph; ``None`` draws each from
        ``particle_size_px``.
    particle_size_px, dose, blur_px, jpeg_quality : (float, float)
        Ranges of the conditions (see :data:`HARD_REGIME`).

    Returns
    -------
    micrographs : list of Micrograph
    assignment : ndarray of int of shape (n_samples,)
        Index of each particle's micrograph (particles are shuffled over
        them, so every micrograph holds a mix of classes).
    """
    sizes = []
    while sum(sizes) < n_samples:
        sizes.append(int(rng.integers(_MICROGRAPH_SIZES[0], _MICROGRAPH_SIZES[1] + 1)))
    sizes[-1] -= sum(sizes) - n_samples
    assignment = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    width = len(str(len(sizes) - 1))
    micrographs = []
    for index in range(len(sizes)):
        size = pixel_size_nm
        if size is None:
            size = typical_diameter_nm / _uniform(rng, particle_size_px)
        micrographs.append(
            Micrograph(
                name=f"micrograph-{index:0{width}d}",
                pixel_size_nm=float(size),
                dose=_uniform(rng, dose),
                blur_px=_uniform(rng, blur_px),
                fringe=float(rng.uniform(0.2, 0.6)),
                background=float(rng.uniform(0.03, 0.1)),
                level=float(rng.uniform(100, 170)),
                gain=float(rng.uniform(80, 140)),
                jpeg_quality=int(round(_uniform(rng, jpeg_quality))),
            )
        )
    return micrographs, assignment


def render_scene_pixel_size(micrograph):
    """Pixel size, in nm, at which a scene of ``micrograph`` is drawn."""
    return micrograph.pixel_size_nm / _OVERSAMPLING


def _margins(scene, surrounding, rng):
    """``(top, bottom, left, right)`` margins of the drawing canvas, fine px.

    ``surrounding=None``: a square cut-out ``_CONTEXT`` times the particle's
    extent, its centre off the particle's by up to ``_CENTRING_ERROR`` of
    the extent, as a picker places it. Otherwise ``surrounding`` detector
    pixels on each side. Either way the canvas is a whole number of
    detector pixels.
    """
    k = _OVERSAMPLING
    top, bottom, left, right = scene.particle_box()
    box = (int(bottom - top) + 1, int(right - left) + 1)
    if surrounding is not None:
        margins = [surrounding * k] * 4
        margins[1] += -(box[0] + 2 * surrounding * k) % k
        margins[3] += -(box[1] + 2 * surrounding * k) % k
        return tuple(margins)
    extent = max(box)
    side = max(math.ceil(extent * rng.uniform(*_CONTEXT) / k), _MIN_SIDE) * k
    margins = []
    for length in box:
        extra = side - length
        offset = rng.uniform(-1, 1) * _CENTRING_ERROR * extent
        before = int(np.clip(round(extra / 2 + offset), 0, extra))
        margins.extend([before, extra - before])
    return tuple(margins)


def render_cutout(scene, micrograph, *, surrounding, noise, masks):
    """One cut-out of ``scene`` as ``micrograph`` records it.

    Returns the uint8 image and, if ``masks``, the particle's mask at the
    detector's pixels (a pixel belongs to the particle when most of it
    does); else None.
    """
    rng = scene.rng
    density, fine_mask = scene.draw(_margins(scene, surrounding, rng))
    relative_noise = noise * scene.noise_scale
    image = form_low_dose_image(
        density,
        rng,
        binning=_OVERSAMPLING,
        blur_px=micrograph.blur_px,
        fringe=micrograph.fringe,
        background=noise * micrograph.background,
        dose=micrograph.dose / relative_noise**2 if relative_noise > 0 else None,
        level=micrograph.level,
        gain=micrograph.gain,
        jpeg_quality=micrograph.jpeg_quality,
    )
    mask = None
    if masks:
        mask = _bin(fine_mask.astype(np.float32), _OVERSAMPLING) >= 0.5
    return image, mask


def _bin(array, factor):
    """Mean over ``factor x factor`` blocks (the shape is a multiple of it)."""
    height, width = array.shape
    return array.reshape(height // factor, factor, width // factor, factor).mean(
        axis=(1, 3)
    )


def form_low_dose_image(
    density,
    rng,
    *,
    binning,
    blur_px,
    fringe,
    background,
    dose,
    level,
    gain,
    jpeg_quality,
):
    """An 8-bit, JPEG-compressed detector image of projected ``density``.

    ``density`` is drawn ``binning`` times finer than the detector's pixels.
    The optics blur it with a Gaussian of ``blur_px`` detector pixels and add
    a bright fringe around edges (weight ``fringe``); the transmitted beam,
    whose strength varies smoothly by ``background``, is binned to the
    detector's pixels and counted with Poisson noise for ``dose`` electrons
    per pixel of empty ice (``None``: noiseless); the counts are exported as
    ``level + gain * (intensity - 1)`` in 8 bits and compressed with JPEG
    at ``jpeg_quality``.
    """
    sigma = blur_px * binning
    depth = ndi.gaussian_filter(density, sigma, truncate=3.0)
    if fringe:
        wide = ndi.gaussian_filter(density, 3 * sigma, truncate=2.5)
        depth = (1 + fringe) * depth - fringe * wide
    intensity = _bin(np.exp(-depth), binning)
    if background:
        field = fractal_noise(intensity.shape, max(intensity.shape), rng)
        intensity *= 1 + np.float32(background) * field
    if dose is not None:
        counts = rng.poisson(np.maximum(intensity, 0) * dose)
        intensity = counts.astype(np.float32) / np.float32(dose)
    exported = np.clip(level + 0.5 + gain * (intensity - 1), 0, 255).astype(np.uint8)
    return jpeg_round_trip(exported, jpeg_quality)


def jpeg_round_trip(image, quality):
    """``image`` (uint8) written as JPEG at ``quality`` and read back."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    with Image.open(buffer) as compressed:
        return np.asarray(compressed.convert("L"), dtype=np.uint8)

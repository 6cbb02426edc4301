"""Random augmentation of whole image batches on their device."""

import math
from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import torch
import torch.nn.functional as F

__all__ = ["Augmentation", "dihedral_views"]


@dataclass(frozen=True)
class Augmentation:
    """The random transformations applied to training batches.

    The defaults are those of the thesis (section 5.5). Each transformation
    is switched off by setting it to ``0`` / ``None`` / ``False``. The
    geometric transformations of one image are composed into a single
    affine map and applied with one bilinear resampling (pixels falling
    outside the image repeat the nearest border pixel, like Keras's
    ``fill_mode="nearest"`` the thesis used); blur, then noise, follow. All
    of it runs for a whole batch at once on the batch's device.

    ``blur`` and ``noise`` imitate what changes from micrograph to
    micrograph: defocus and drift, and the electron dose (the thesis's
    noise injection, section 5.2). Both are off by default (the thesis's
    setting); :func:`~sklearn_lipnet.make_lipnet_pipeline` switches noise on
    (:data:`~sklearn_lipnet.pipeline.PIPELINE_AUGMENTATION`), which helped
    on small, noisy cut-outs whose conditions vary between micrographs (see
    ``docs/real_data.md``).

    Parameters
    ----------
    rotation : float, default=180
        Maximum rotation in degrees; angles are drawn uniformly from
        ``[-rotation, rotation]``.
    shear : float, default=0.2
        Maximum shear, as the tangent of the shear angle; drawn uniformly
        from ``[-shear, shear]``.
    shift : float, default=0.1
        Maximum horizontal and vertical shift as a fraction of the image
        width and height; each drawn uniformly from ``[-shift, shift]``.
    zoom : tuple of two floats or None, default=(0.8, 1.0)
        Range of the field-of-view scale, drawn uniformly (Keras's
        ``zoom_range`` convention): ``0.8`` shows 80 % of the image, that is
        magnifies it 1.25 times. ``None`` disables zooming.
    horizontal_flip : bool, default=True
        Mirror left-right with probability 1/2.
    vertical_flip : bool, default=True
        Mirror top-bottom with probability 1/2.
    blur : float, default=0
        Maximum standard deviation of a Gaussian blur, in pixels of the
        network's input; drawn per image uniformly from ``[0, blur]``.
    noise : float, default=0
        Maximum standard deviation of Gaussian noise added to every pixel,
        in the units of the network's input, which the classifier
        standardises (unit standard deviation over the training images);
        drawn per image uniformly from ``[0, noise]``. ``0.5`` adds noise of
        up to half the images' contrast.

    Examples
    --------
    >>> from sklearn_lipnet import Augmentation
    >>> Augmentation(shear=0, zoom=None)
    Augmentation(rotation=180, shear=0, shift=0.1, zoom=None, horizontal_flip=True,
                 vertical_flip=True, blur=0, noise=0)
    >>> Augmentation().is_identity
    False

    Noise alone, on a blank image:

    >>> import torch
    >>> only_noise = Augmentation(rotation=0, shear=0, shift=0, zoom=None,
    ...                           horizontal_flip=False, vertical_flip=False,
    ...                           noise=0.5)
    >>> blank = torch.zeros(1, 1, 28, 28)
    >>> out = only_noise(blank, torch.Generator().manual_seed(0))
    >>> bool(0 < out.std() <= 0.5 * 1.1)
    True
    """

    rotation: float = 180
    shear: float = 0.2
    shift: float = 0.1
    zoom: tuple | None = (0.8, 1.0)
    horizontal_flip: bool = True
    vertical_flip: bool = True
    blur: float = 0
    noise: float = 0

    def __repr__(self):
        # Wrapped like scikit-learn's estimator reprs so doctests stay short.
        values = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)]
        lines, line = [], "Augmentation("
        for value in values:
            if len(line) + len(value) + 2 > 80:
                lines.append(line.rstrip())
                line = " " * len("Augmentation(")
            line += value + ", "
        return "\n".join(lines + [line[:-2] + ")"])

    @classmethod
    def from_param(cls, augment, name="augment"):
        """Build an ``Augmentation`` from a classifier's ``augment`` parameter.

        ``True`` gives the thesis's defaults, ``False`` / ``None`` no
        augmentation (returns ``None``), a dict overrides the defaults, and an
        ``Augmentation`` is validated and returned.
        """
        if augment is None or augment is False:
            return None
        if augment is True:
            return cls()
        if isinstance(augment, dict):
            unknown = set(augment) - {f.name for f in fields(cls)}
            if unknown:
                raise ValueError(
                    f"{name} has unknown transformations {sorted(unknown)}; "
                    f"valid ones are {[f.name for f in fields(cls)]}."
                )
            augment = cls(**augment)
        if not isinstance(augment, cls):
            raise ValueError(
                f"{name} must be True, False, None, a dict or an Augmentation, "
                f"got {augment!r}."
            )
        augment._validate(name)
        return None if augment.is_identity else augment

    def _validate(self, name):
        for attr in ("rotation", "shear", "shift", "blur", "noise"):
            value = getattr(self, attr)
            if not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValueError(
                    f"{name}.{attr} must be a finite number >= 0, got {value!r}."
                )
        if self.zoom is not None:
            try:
                low, high = (float(z) for z in self.zoom)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name}.zoom must be None or a (low, high) pair, "
                    f"got {self.zoom!r}."
                ) from None
            if not 0 < low <= high < math.inf:
                raise ValueError(
                    f"{name}.zoom must satisfy 0 < low <= high, got {self.zoom!r}."
                )

    @property
    def is_identity(self):
        """True when no transformation is switched on."""
        zoom_off = self.zoom is None or tuple(self.zoom) == (1, 1)
        return not (
            self.rotation
            or self.shear
            or self.shift
            or not zoom_off
            or self.horizontal_flip
            or self.vertical_flip
            or self.blur
            or self.noise
        )

    def to_dict(self):
        """The transformations as a plain dict (``Augmentation(**d)`` rebuilds it).

        Returns
        -------
        settings : dict
        """
        return asdict(self)

    def random_matrices(self, n, generator, device):
        """Draw ``n`` random 2x3 affine maps in ``affine_grid`` coordinates.

        Parameters
        ----------
        n : int
            Number of maps.
        generator : torch.Generator
            Source of the draws, on ``device``.
        device : torch.device or str
            Where the maps are made.

        Returns
        -------
        theta : torch.Tensor of shape (n, 2, 3)
        """
        uniform = torch.rand(n, 7, generator=generator, device=device)

        def spread(column, half_width):
            return (2 * uniform[:, column] - 1) * half_width

        angle = spread(0, math.radians(self.rotation))
        shear = spread(1, self.shear)
        shift_x = spread(2, 2 * self.shift)  # affine_grid spans [-1, 1]: width 2
        shift_y = spread(3, 2 * self.shift)
        if self.zoom is None:
            scale = torch.ones(n, device=device)
        else:
            low, high = self.zoom
            scale = low + (high - low) * uniform[:, 4]
        flip_x = torch.where(
            (uniform[:, 5] < 0.5) & self.horizontal_flip, -1.0, 1.0
        ).to(scale.dtype)
        flip_y = torch.where((uniform[:, 6] < 0.5) & self.vertical_flip, -1.0, 1.0).to(
            scale.dtype
        )

        cos, sin = torch.cos(angle), torch.sin(angle)
        # Output coordinates -> input coordinates: rotate, then shear, then
        # scale the field of view and flip.
        a = torch.stack([cos, -sin, sin, cos], 1).view(n, 2, 2)
        s = torch.zeros(n, 2, 2, device=device)
        s[:, 0, 0] = 1
        s[:, 0, 1] = shear
        s[:, 1, 1] = 1
        linear = a @ s
        linear = linear * (scale[:, None] * torch.stack([flip_x, flip_y], 1)).unsqueeze(
            2
        )
        translation = torch.stack([shift_x, shift_y], 1).unsqueeze(2)
        return torch.cat([linear, translation], 2)

    def draw(self, n, generator, device):
        """Draw the random parameters of ``n`` images (an epoch's at once).

        Parameters
        ----------
        n : int
            Number of images.
        generator : torch.Generator
            Source of the draws, on ``device``.
        device : torch.device or str
            Where the parameters are made.

        Returns
        -------
        draw : AugmentationDraw
            The affine maps, and the blur and noise levels (``None`` where
            that transformation is off, so that switching it on does not
            change the other draws).
        """
        theta = self.random_matrices(n, generator, device)
        blur = noise = None
        if self.blur:
            blur = self.blur * torch.rand(n, generator=generator, device=device)
        if self.noise:
            noise = self.noise * torch.rand(n, generator=generator, device=device)
        return AugmentationDraw(theta, blur, noise)

    def apply(self, images, draw, generator):
        """Transform a batch of images with the parameters ``draw``.

        Parameters
        ----------
        images : torch.Tensor of shape (n, C, H, W)
        draw : AugmentationDraw
            The parameters of these ``n`` images, from :meth:`draw`.
        generator : torch.Generator
            Source of the noise itself, on the images' device.

        Returns
        -------
        augmented : torch.Tensor of shape (n, C, H, W)
            A new tensor.
        """
        images = self.warp(images, draw.theta)
        if draw.blur is not None:
            images = gaussian_blur(images, draw.blur, radius=math.ceil(3 * self.blur))
        if draw.noise is not None:
            noise = torch.randn(
                images.shape,
                generator=generator,
                device=images.device,
                dtype=images.dtype,
            )
            images = images + noise * draw.noise.to(images.dtype).view(-1, 1, 1, 1)
        return images

    def __call__(self, images, generator):
        """Transform a batch ``(n, C, H, W)`` of images; returns a new tensor."""
        draw = self.draw(len(images), generator, images.device)
        return self.apply(images, draw, generator)

    @staticmethod
    def warp(images, theta):
        """Resample ``images`` through the affine maps ``theta`` ``(n, 2, 3)``."""
        grid = F.affine_grid(theta, images.shape, align_corners=False)
        return F.grid_sample(
            images, grid, mode="bilinear", padding_mode="border", align_corners=False
        )


class AugmentationDraw(NamedTuple):
    """Random parameters of augmented images, one row per image."""

    theta: torch.Tensor  # (n, 2, 3) affine maps
    blur: torch.Tensor | None  # (n,) blur standard deviations, pixels
    noise: torch.Tensor | None  # (n,) noise standard deviations

    def rows(self, start, stop):
        """The parameters of images ``start:stop``."""
        return AugmentationDraw(
            *(None if part is None else part[start:stop] for part in self)
        )


def gaussian_blur(images, sigma, radius):
    """Blur each image of ``(n, C, H, W)`` with its own Gaussian.

    Parameters
    ----------
    images : torch.Tensor of shape (n, C, H, W)
    sigma : torch.Tensor of shape (n,)
        Standard deviation of each image's Gaussian, in pixels; ``0``
        leaves the image as it is.
    radius : int
        Half width of the kernels, in pixels (``3 * max(sigma)`` keeps all
        but 0.3 % of the weight).

    Returns
    -------
    blurred : torch.Tensor of shape (n, C, H, W)
        Pixels beyond the border repeat the nearest border pixel, as the
        geometric warp does.
    """
    n, channels, height, width = images.shape
    offsets = torch.arange(-radius, radius + 1, device=images.device)
    # A vanishing sigma gives the kernel (0, ..., 1, ..., 0).
    scaled = offsets / sigma.to(torch.float32).clamp_min(1e-3)[:, None]
    kernels = torch.exp(-0.5 * scaled**2)
    kernels = (kernels / kernels.sum(1, keepdim=True)).to(images.dtype)
    # One group per image and channel: the separable blur as two grouped
    # convolutions over the whole batch.
    kernels = kernels.repeat_interleave(channels, 0)
    out = images.reshape(1, n * channels, height, width)
    out = F.pad(out, (radius, radius, 0, 0), mode="replicate")
    out = F.conv2d(out, kernels[:, None, None, :], groups=n * channels)
    out = F.pad(out, (0, 0, radius, radius), mode="replicate")
    out = F.conv2d(out, kernels[:, None, :, None], groups=n * channels)
    return out.reshape(n, channels, height, width)


def dihedral_views(images):
    """The eight rotations and mirror images of a batch of square images.

    The symmetries of the square (the dihedral group of order 8): rotations
    by 0, 90, 180 and 270 degrees, each with and without a left-right
    mirror. They map the pixel grid onto itself, so no interpolation
    changes a pixel; averaging a network's predictions over them makes the
    prediction invariant to the particle's orientation on the grid.

    Parameters
    ----------
    images : torch.Tensor of shape (n, C, side, side)

    Yields
    ------
    view : torch.Tensor of shape (n, C, side, side)
        The identity first.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network._augmentation import dihedral_views
    >>> image = torch.arange(4.0).reshape(1, 1, 2, 2)
    >>> views = [v.flatten().tolist() for v in dihedral_views(image)]
    >>> len(views), len({tuple(v) for v in views})
    (8, 8)
    """
    for mirrored in (images, torch.flip(images, dims=(3,))):
        for quarter_turns in range(4):
            yield torch.rot90(mirrored, quarter_turns, dims=(2, 3))

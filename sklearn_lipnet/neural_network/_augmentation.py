"""Random geometric augmentation of whole image batches on their device."""

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F

__all__ = ["Augmentation", "dihedral_views"]


@dataclass(frozen=True)
class Augmentation:
    """The random transformations applied to training batches.

    The defaults are those of the thesis (section 5.5). Each transformation
    is switched off by setting it to ``0`` / ``None`` / ``False``. All
    transformations of one image are composed into a single affine map and
    applied with one bilinear resampling (pixels falling outside the image
    repeat the nearest border pixel, like Keras's ``fill_mode="nearest"``
    the thesis used), for a whole batch at once on the batch's device.

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

    Examples
    --------
    >>> from sklearn_lipnet import Augmentation
    >>> Augmentation(shear=0, zoom=None)
    Augmentation(rotation=180, shear=0, shift=0.1, zoom=None, horizontal_flip=True,
                 vertical_flip=True)
    >>> Augmentation().is_identity
    False
    """

    rotation: float = 180
    shear: float = 0.2
    shift: float = 0.1
    zoom: tuple | None = (0.8, 1.0)
    horizontal_flip: bool = True
    vertical_flip: bool = True

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
        for attr in ("rotation", "shear", "shift"):
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

    def __call__(self, images, generator):
        """Transform a batch ``(n, C, H, W)`` of images; returns a new tensor."""
        return self.warp(
            images, self.random_matrices(len(images), generator, images.device)
        )

    @staticmethod
    def warp(images, theta):
        """Resample ``images`` through the affine maps ``theta`` ``(n, 2, 3)``."""
        grid = F.affine_grid(theta, images.shape, align_corners=False)
        return F.grid_sample(
            images, grid, mode="bilinear", padding_mode="border", align_corners=False
        )


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

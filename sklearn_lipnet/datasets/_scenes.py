"""What one synthetic cut-out shows, per problem and class.

A scene is planned in particle-centred coordinates (pixels), then rendered on
a canvas of the particle's bounding box plus the surrounding. The class
definitions follow the thesis (sections 2 and 4.8.4); physical sizes are in
nanometres and converted with the pixel size.
"""

import numpy as np

from ._render import (
    Outline,
    add_bilayer,
    add_body,
    add_film_edge,
    add_rods,
    expose,
    inside,
)

_BILAYER_NM = 5.0  # outer to inner surface; the two dark lines ~4 nm apart
_HEAD_NM = 1.0  # electron-dense head-group layer
_ONION_GAP_NM = (2.0, 12.0)  # water between lamellae of an onion-like vesicle
#: Water between loosely nested lamellae, as a fraction of the enclosing
#: lamella's radius: up to half of it, so that some multilamellar vesicles
#: hold a whole vesicle, as real cryo-EM ones often do (the multilamellar
#: vesicles of ``benchmarks/real_data/jensen_vesicles``). Up to 0.3 before;
#: models trained on such vesicles called few real ones multilamellar
#: (``docs/real_data.md``, models trained on synthetic particles).
_LOOSE_GAP = (0.15, 0.5)
#: Share of multilamellar vesicles whose lamellae are onion-like (closely
#: stacked); the others are loosely nested.
_ONION_SHARE = 0.4
_FIBRE_PERIOD_NM = 2.7  # stacking of doxorubicin-sulfate fibres
_MIN_RADIUS_NM = 12.0

#: Median diameter of a (unilamellar) vesicle, per problem, in nanometres.
TYPICAL_DIAMETER_NM = {"lamellarity": 80.0, "encapsulation": 90.0}


class Scene:
    """Everything drawn in one cut-out.

    ``particle`` holds the outlines of what the expert segmented (a vesicle,
    or two overlapping ones); its bounding box plus the surrounding is the
    canvas. ``bilayers`` holds the outer outline of every bilayer queued,
    outermost first within a vesicle. Drawing steps are queued as functions
    of ``(density, shift)`` and run once the canvas exists.
    """

    def __init__(self, rng, pixel_size_nm):
        self.rng = rng
        self.px = pixel_size_nm
        self.particle = []
        self.bilayers = []
        self.steps = []
        self.contrast_scale = 1.0
        self.noise_scale = 1.0

    def nm(self, length_nm):
        """A length in nanometres, in pixels."""
        return length_nm / self.px

    def add_vesicle(
        self,
        outline,
        n_lamellae=1,
        *,
        contrast,
        inner_contrast=None,
        onion=True,
        in_particle=False,
    ):
        """Queue a vesicle of ``n_lamellae`` nested bilayers.

        Inner lamellae follow the outer shape, either closely spaced
        (``onion``) or as loosely nested vesicles, slightly off-centre; their
        contrast is ``inner_contrast`` (default: ``contrast``).
        """
        rng = self.rng
        if in_particle:
            self.particle.append(outline)
        thickness = self.nm(_BILAYER_NM)
        lamellae = [(outline, contrast)]
        current = outline
        for _ in range(n_lamellae - 1):
            if onion:
                gap = self.nm(rng.uniform(*_ONION_GAP_NM))
            else:
                gap = rng.uniform(*_LOOSE_GAP) * current.radius
            radius = current.radius - thickness - gap
            if radius < self.nm(_MIN_RADIUS_NM):
                break
            # The shrunken shape keeps (radius gap) * (smallest shape factor)
            # of room on every side; use at most half of it to move off-centre.
            smallest = current.min_radius() / current.radius
            room = (current.radius - radius) * smallest - thickness
            shift = rng.uniform(0, max(room / 2, 0))
            direction = rng.uniform(0, 2 * np.pi)
            current = current.scaled(
                radius / current.radius,
                row=current.row + shift * np.sin(direction),
                col=current.col + shift * np.cos(direction),
            )
            strength = contrast if inner_contrast is None else inner_contrast
            lamellae.append((current, strength * rng.uniform(0.85, 1.1)))
        head = max(self.nm(_HEAD_NM), 0.7)
        self.bilayers.extend(lamella for lamella, _ in lamellae)
        for lamella, strength in lamellae:
            self.steps.append(
                lambda density, shift, lamella=lamella, strength=strength: add_bilayer(
                    density,
                    lamella.moved(*shift),
                    strength * self.contrast_scale,
                    thickness=thickness,
                    head=head,
                )
            )

    def add_body(self, outline, optical_depth):
        """Queue a dense body (ice) of the outline's shape."""
        self.steps.append(
            lambda density, shift: add_body(
                density, outline.moved(*shift), optical_depth
            )
        )

    def particle_box(self):
        """``(top, bottom, left, right)`` of the particle, whole pixels, canvas-free.

        The particle's outlines' extent rounded outward, in the scene's
        particle-centred coordinates.
        """
        boxes = np.array([outline.extent() for outline in self.particle])
        return (
            np.floor(boxes[:, 0].min()),
            np.ceil(boxes[:, 1].max()),
            np.floor(boxes[:, 2].min()),
            np.ceil(boxes[:, 3].max()),
        )

    def draw(self, margins):
        """Projected density and particle mask on the particle's canvas.

        The canvas is the particle's bounding box plus ``margins = (top,
        bottom, left, right)`` pixels on each side.
        """
        top, bottom, left, right = self.particle_box()
        margin_top, margin_bottom, margin_left, margin_right = margins
        shape = (
            int(bottom - top) + 1 + margin_top + margin_bottom,
            int(right - left) + 1 + margin_left + margin_right,
        )
        shift = (margin_top - top, margin_left - left)
        density = np.zeros(shape, dtype=np.float32)
        for step in self.steps:
            step(density, shift)
        mask = np.zeros(shape, dtype=bool)
        for outline in self.particle:
            mask |= inside(shape, outline.moved(*shift))
        return density, mask

    def render(self, surrounding, noise):
        """Draw the scene; return the uint8 image and the particle's mask."""
        rng = self.rng
        density, mask = self.draw((surrounding,) * 4)
        image = expose(density, rng, noise=noise, noise_scale=self.noise_scale)
        return image, mask


def _random_outline(
    rng, radius, *, row=0.0, col=0.0, irregularity=(0.01, 0.05), elongation=0.0
):
    return Outline.random(
        row,
        col,
        radius,
        rng,
        irregularity=rng.uniform(*irregularity),
        elongation=elongation,
    )


def _membrane_contrast(rng):
    return rng.uniform(0.45, 0.85)


def _beside(outline, direction, distance):
    """Centre at ``distance`` from the outline's centre in ``direction``."""
    return (
        outline.row + distance * np.sin(direction),
        outline.col + distance * np.cos(direction),
    )


def _add_surroundings(scene, diameter_nm, *, content=None):
    """Neighbouring vesicles and ice grains, clear of the particle.

    ``content(scene, outline)`` fills neighbours (90 % of them), e.g. with
    the drug crystal of a sample that is mostly full.
    """
    rng = scene.rng
    particle = scene.particle[0]
    for _ in range(rng.choice(4, p=[0.45, 0.3, 0.17, 0.08])):
        direction = rng.uniform(0, 2 * np.pi)
        radius = max(
            rng.lognormal(np.log(scene.nm(diameter_nm / 2)), 0.35),
            scene.nm(_MIN_RADIUS_NM),
        )
        distance = particle.radius_at(direction) + 1.15 * radius + rng.uniform(4, 40)
        row, col = _beside(particle, direction, distance)
        outline = _random_outline(rng, radius, row=row, col=col)
        scene.add_vesicle(
            outline, 1 + (rng.random() < 0.1), contrast=_membrane_contrast(rng)
        )
        if content is not None and rng.random() < 0.9:
            content(scene, outline)
    if rng.random() < 0.12:
        direction = rng.uniform(0, 2 * np.pi)
        grain = scene.nm(rng.uniform(8, 24))
        distance = particle.radius_at(direction) + 1.3 * grain + rng.uniform(5, 40)
        row, col = _beside(particle, direction, distance)
        scene.add_body(
            _random_outline(rng, grain, row=row, col=col, irregularity=(0.2, 0.3)),
            rng.uniform(1.0, 2.0),
        )


_ARTEFACTS = {
    "overlap": 0.3,
    "ice": 0.25,
    "faint interior": 0.2,
    "low contrast": 0.15,
    "film edge": 0.1,
}


def _add_artefacts(scene, outline, kinds=_ARTEFACTS):
    """What makes an expert answer "uncertain", one or two of ``kinds``."""
    rng = scene.rng
    names = list(kinds)
    p = np.array([kinds[name] for name in names])
    chosen = rng.choice(
        names, size=1 + (rng.random() < 0.3), replace=False, p=p / p.sum()
    )
    for kind in chosen:
        direction = rng.uniform(0, 2 * np.pi)
        edge = outline.radius_at(direction)
        if kind == "overlap":
            # Overlapping in projection: segmented as one particle.
            radius = outline.radius * rng.uniform(0.5, 1.1)
            row, col = _beside(
                outline, direction, edge + radius * rng.uniform(-0.7, 0.2)
            )
            scene.add_vesicle(
                _random_outline(
                    rng, radius, row=row, col=col, irregularity=(0.01, 0.06)
                ),
                1 + (rng.random() < 0.3),
                contrast=_membrane_contrast(rng) * rng.uniform(0.4, 1.0),
                in_particle=True,
            )
        elif kind == "ice":
            size = outline.radius * rng.uniform(0.15, 0.6)
            row, col = _beside(outline, direction, edge + size * rng.uniform(-0.6, 0.4))
            scene.add_body(
                _random_outline(rng, size, row=row, col=col, irregularity=(0.1, 0.3)),
                rng.uniform(0.5, 2.5),
            )
        elif kind == "faint interior":
            # Something like an inner lamella, too faint to call.
            inner = outline.scaled(rng.uniform(0.55, 0.85))
            scene.add_vesicle(
                inner, contrast=_membrane_contrast(rng) * rng.uniform(0.1, 0.3)
            )
        elif kind == "low contrast":
            scene.contrast_scale = rng.uniform(0.25, 0.45)
            scene.noise_scale = rng.uniform(1.2, 1.6)
        else:  # film edge: a carbon film covering part of the particle
            params = {
                "optical_depth": rng.uniform(0.3, 0.8),
                "angle": direction,
                "offset": rng.uniform(-0.6, 0.3) * outline.radius,
                "roughness": rng.uniform(2, 6),
            }
            scene.steps.append(
                lambda density, shift, params=params: add_film_edge(
                    density, rng, **params
                )
            )


def _without_context(kinds):
    """Artefacts that belong to the particle, not to the micrograph around it."""
    return {kind: p for kind, p in kinds.items() if kind != "film edge"}


def lamellarity_scene(label, rng, pixel_size_nm, *, context=True):
    """Unilamellar, multilamellar (2-5 lamellae, larger) or uncertain.

    ``context=False`` leaves out what a cut-out shows of the micrograph
    around the particle (neighbours, ice grains, a film edge), for scenes
    placed in a micrograph that draws its own.
    """
    scene = Scene(rng, pixel_size_nm)
    multilamellar = label == "multilamellar" or (
        label == "uncertain" and rng.random() < 0.25
    )
    median_nm = 150.0 if multilamellar else TYPICAL_DIAMETER_NM["lamellarity"]
    diameter_nm = np.clip(rng.lognormal(np.log(median_nm), 0.35), 30.0, 330.0)
    outline = _random_outline(
        rng, scene.nm(diameter_nm / 2), elongation=rng.uniform(0, 0.08)
    )
    contrast = _membrane_contrast(rng)
    if multilamellar:
        # Some have faint inner lamellae: the hard cases near "uncertain".
        faint = rng.random() < 0.15
        inner = contrast * (rng.uniform(0.25, 0.5) if faint else rng.uniform(0.6, 1.0))
        scene.add_vesicle(
            outline,
            rng.choice([2, 3, 4, 5], p=[0.4, 0.3, 0.2, 0.1]),
            contrast=contrast,
            inner_contrast=inner,
            onion=rng.random() < _ONION_SHARE,
            in_particle=True,
        )
    else:
        scene.add_vesicle(outline, contrast=contrast, in_particle=True)
    if context:
        _add_surroundings(scene, TYPICAL_DIAMETER_NM["lamellarity"])
    if label == "uncertain":
        kinds = _ARTEFACTS if context else _without_context(_ARTEFACTS)
        if multilamellar:
            kinds = {k: v for k, v in kinds.items() if k != "faint interior"}
        _add_artefacts(scene, outline, kinds)
    return scene


def _add_crystal(scene, outline, *, little=False):
    """Doxorubicin crystal: one to three parallel rods along the long axis.

    ``little`` draws the short or faint content of doubtful cases; a fifth
    of the full ones are faint too, near that boundary.
    """
    rng = scene.rng
    axis = outline.long_axis()
    reach = outline.radius_at(axis) - scene.nm(_BILAYER_NM) - 1.0
    if little:
        length = reach * rng.uniform(0.15, 0.45)
        depth = rng.uniform(0.08, 0.3)
    else:
        length = reach * rng.uniform(0.55, 0.95)
        depth = rng.uniform(0.15, 0.3) if rng.random() < 0.2 else rng.uniform(0.35, 0.8)
    half_width = scene.nm(rng.uniform(4.0, 9.0))
    shift = rng.uniform(-0.15, 0.15) * reach
    params = {
        "angle": axis + rng.normal(0, 0.08),
        "half_length": max(length, 1.2 * half_width),
        "half_width": half_width,
        "bend": rng.normal(0, 0.3) * half_width / max(reach, 1.0) ** 2,
        "optical_depth": depth,
        "count": rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]),
        "spacing": 2.2 * half_width,
        "striation": rng.uniform(0.1, 0.4),
        "period": scene.nm(_FIBRE_PERIOD_NM),
    }
    row, col = outline.row + shift * np.cos(axis), outline.col - shift * np.sin(axis)
    scene.steps.append(
        lambda density, offset: add_rods(
            density, row + offset[0], col + offset[1], rng=rng, **params
        )
    )


def encapsulation_scene(label, rng, pixel_size_nm, *, context=True):
    """Full (rod-like drug crystal inside), empty, or uncertain.

    ``context``: as for :func:`lamellarity_scene`.
    """
    scene = Scene(rng, pixel_size_nm)
    typical_nm = TYPICAL_DIAMETER_NM["encapsulation"]
    diameter_nm = np.clip(rng.lognormal(np.log(typical_nm), 0.25), 35.0, 250.0)
    # The crystal stretches the vesicle along its axis.
    elongation = rng.uniform(0, 0.08) if label == "empty" else rng.uniform(0.04, 0.2)
    outline = _random_outline(rng, scene.nm(diameter_nm / 2), elongation=elongation)
    scene.add_vesicle(
        outline,
        1 + (rng.random() < 0.05),
        contrast=_membrane_contrast(rng),
        in_particle=True,
    )
    if label == "full":
        _add_crystal(scene, outline)
    elif label == "uncertain":
        if rng.random() < 0.6:
            _add_crystal(scene, outline, little=True)
        else:
            if rng.random() < 0.5:
                _add_crystal(scene, outline, little=rng.random() < 0.5)
            kinds = {k: v for k, v in _ARTEFACTS.items() if k != "faint interior"}
            if not context:
                kinds = _without_context(kinds)
            _add_artefacts(scene, outline, kinds)
    if context:
        _add_surroundings(scene, typical_nm, content=_add_crystal)
    return scene


SCENES = {"lamellarity": lamellarity_scene, "encapsulation": encapsulation_scene}

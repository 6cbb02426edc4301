import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet.datasets import (
    list_micrographs,
    make_liposomes,
    make_micrographs,
    save_micrographs,
)
from sklearn_lipnet.datasets._image_io import read_image, write_image


@pytest.fixture(scope="module")
def field():
    return make_micrographs(3, shape=512, random_state=0)


def full_mask(row, shape):
    mask = np.zeros(shape, dtype=bool)
    mask[row["y0"] : row["y1"], row["x0"] : row["x1"]] = row["mask"]
    return mask


def test_truth_describes_the_particles_drawn(field):
    micrographs, particles = field
    assert list(micrographs.columns) == ["id", "image", "pixel_size_nm"]
    assert len(particles) > 10
    images = dict(zip(micrographs["id"], micrographs["image"]))
    for _, row in particles.iterrows():
        image = images[row["micrograph"]]
        mask = full_mask(row, image.shape)
        assert mask.any()
        # the centre is the centre of the particle's area
        rows, cols = np.nonzero(mask)
        if not row["cut_by_border"]:
            assert abs(rows.mean() - row["y"]) < 1 and abs(cols.mean() - row["x"]) < 1
            assert row["diameter_nm"] == pytest.approx(
                2 * np.sqrt(mask.sum() / np.pi), rel=1e-6
            )
        # the membrane (the mask's outer ring) is darker than the ice around
        ring = mask & ~np.roll(np.roll(mask, 4, 0), 4, 1)
        outside = np.roll(np.roll(mask, 8, 0), 8, 1) & ~mask
        assert image[ring].mean() < image[outside].mean()


def test_particles_cut_by_the_border_are_flagged(field):
    micrographs, particles = field
    shape = micrographs["image"][0].shape
    touches = (
        (particles["y0"] == 0)
        | (particles["x0"] == 0)
        | (particles["y1"] == shape[0])
        | (particles["x1"] == shape[1])
    )
    assert particles["cut_by_border"].any()
    # cut means the particle reaches past the border (touching it exactly is
    # possible without being cut, so only one direction is exact)
    assert not (particles["cut_by_border"] & ~touches).any()
    assert (
        particles["y"].between(0, shape[0]) & particles["x"].between(0, shape[1])
    ).all()


def test_same_seed_same_field_other_seed_other_field(field):
    micrographs, particles = field
    again, truth = make_micrographs(3, shape=512, random_state=0)
    for a, b in zip(micrographs["image"], again["image"]):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(
        particles.drop(columns="mask"), truth.drop(columns="mask")
    )
    other, _ = make_micrographs(1, shape=384, random_state=1)
    assert not np.array_equal(other["image"][0], micrographs["image"][0])


def test_weights_and_crowding():
    _, only = make_micrographs(
        2, shape=256, weights={"multilamellar": 1.0}, random_state=0
    )
    assert set(only["class"]) == {"multilamellar"}
    _, sparse = make_micrographs(2, shape=512, crowding=0.05, random_state=0)
    _, dense = make_micrographs(2, shape=512, crowding=0.3, random_state=0)
    assert len(dense) > 3 * len(sparse)
    _, both = make_micrographs(
        4, problem="encapsulation", shape=512, weights=[0.5, 0.5, 0], random_state=2
    )
    counts = both["class"].value_counts()
    assert set(counts.index) == {"empty", "full"}
    # independent draws: within 4 standard deviations of half
    assert abs(counts["full"] - len(both) / 2) < 4 * np.sqrt(len(both) / 4)


def test_no_overlap_when_overlap_is_zero():
    micrographs, particles = make_micrographs(
        2, shape=384, crowding=0.3, overlap=0.0, weights=[1, 0, 0], random_state=3
    )
    shape = micrographs["image"][0].shape
    for _, group in particles.groupby("micrograph"):
        covered = np.zeros(shape, dtype=int)
        for _, row in group.iterrows():
            covered += full_mask(row, shape)
        # outlines are slightly irregular: at most a sliver is shared
        assert (covered > 1).sum() < 0.01 * (covered > 0).sum()


def test_micrograph_particles_look_like_the_cut_outs():
    # Same renderer: sizes follow make_liposomes' distributions.
    _, particles = make_micrographs(
        4, shape=768, weights=[1, 0, 0], crowding=0.3, random_state=4
    )
    table, _ = make_liposomes(200, weights=[1, 0, 0], random_state=4)
    cut_out = [2 * np.sqrt(mask.sum() / np.pi) for mask in table["mask"]]
    whole = particles.loc[~particles["cut_by_border"], "diameter_nm"]
    assert abs(np.median(whole) - np.median(cut_out)) < 0.15 * np.median(cut_out)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_micrographs": 0}, "n_micrographs"),
        ({"shape": 32}, "shape"),
        ({"shape": (100, "a")}, "shape"),
        ({"crowding": 0.9}, "crowding"),
        ({"weights": {"big": 1}}, "unknown classes"),
        ({"pixel_size_nm": 0}, "pixel_size_nm"),
        ({"problem": "size"}, "problem"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    kwargs = {"n_micrographs": 1, "shape": 128, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_micrographs(**kwargs)


def test_save_and_list_round_trip(tmp_path, field):
    micrographs, particles = field
    root = save_micrographs(micrographs, tmp_path / "set", particles=particles)
    listed = list_micrographs(root)
    assert listed["id"].tolist() == micrographs["id"].tolist()
    assert set(listed["sample"]) == {"set"}
    truth = pd.read_csv(root / "particles.csv")
    assert len(truth) == len(particles) and "mask" not in truth.columns
    np.testing.assert_array_equal(
        read_image(listed["path"][0]), micrographs["image"][0]
    )
    with pytest.raises(FileExistsError, match="overwrite"):
        save_micrographs(micrographs, root)
    save_micrographs(micrographs, root, overwrite=True)
    assert not list(root.rglob(".*partial*"))  # no temporary files left


def test_list_a_folder_per_sample_and_an_index(tmp_path):
    micrographs, _ = make_micrographs(2, shape=96, random_state=0)
    root = tmp_path / "by-folder"
    for sample in ("a", "b"):
        (root / sample).mkdir(parents=True)
        for name, image in zip(micrographs["id"], micrographs["image"]):
            write_image(root / sample / f"{name}.tif", image)
    write_image(root / "loose.png", micrographs["image"][0])
    listed = list_micrographs(root, pixel_size_nm=0.5)
    # images directly in the folder are a sample named after it
    assert listed["sample"].tolist() == ["by-folder", "a", "a", "b", "b"]
    # the same file names in two samples: ids stay unique
    assert listed["id"].is_unique and listed["id"][1] == "a/micrograph-0"
    assert (listed["pixel_size_nm"] == 0.5).all()
    index = tmp_path / "index.csv"
    pd.DataFrame(
        {
            "file": ["by-folder/a/micrograph-0.tif", "by-folder/b/micrograph-1.tif"],
            "batch": ["x", "y"],
            "pixel_size_nm": [2.0, None],
        }
    ).to_csv(index, index=False)
    listed = list_micrographs(index, pixel_size_nm=1.0)
    assert listed["sample"].tolist() == ["x", "y"]
    assert listed["pixel_size_nm"].tolist() == [2.0, 1.0]
    assert listed["path"][0] == str(tmp_path / "by-folder/a/micrograph-0.tif")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no micrographs"):
        list_micrographs(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        list_micrographs(tmp_path / "missing")


def test_a_particle_that_does_not_fit_goes_into_the_next_micrograph():
    # So that large particles, which fail to fit more often, are not
    # under-represented.
    from sklearn_lipnet.datasets._micrographs import _micrograph

    settings = {
        "crowding": 0.6,
        "overlap": 0.0,
        "film_edge": 0.0,
        "ice_grains": 0.0,
        "noise": 1.0,
    }
    kwargs = {"problem": "lamellarity", "shape": (160, 160), "pixel_size_nm": 1.0}
    rng = np.random.default_rng(0)
    _, placed, left_over = _micrograph(
        lambda: "unilamellar", None, rng, settings=settings, **kwargs
    )
    assert left_over == "unilamellar"  # the field filled up before the target
    _, placed, _ = _micrograph(
        lambda: "unilamellar", "multilamellar", rng, settings=settings, **kwargs
    )
    assert placed[0]["class"] == "multilamellar"

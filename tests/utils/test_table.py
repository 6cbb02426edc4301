import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet.segmentation import particle_masks
from sklearn_lipnet.utils import as_particle_table, has_expert_mask, row_label


def ring(shape=(96, 96), radius=25):
    rows, cols = np.indices(shape) - (np.array(shape)[:, None, None] - 1) / 2
    distance = np.hypot(rows, cols)
    image = 120.0 - 45 * (np.abs(distance - radius) < 1.5)
    image += np.random.default_rng(0).normal(0, 4, shape)
    return image, distance <= radius + 1.5


def test_from_3d_array_and_from_list_of_different_sizes():
    table = as_particle_table(np.zeros((3, 8, 9), dtype=np.uint16))
    assert list(table.columns) == ["image"]
    assert [image.shape for image in table["image"]] == [(8, 9)] * 3
    table = as_particle_table([np.zeros((8, 8)), [[1, 2], [3, 4]]])
    assert [image.shape for image in table["image"]] == [(8, 8), (2, 2)]
    assert isinstance(table["image"].iloc[1], np.ndarray)


def test_table_is_validated_and_never_modified():
    user = pd.DataFrame(
        {
            "id": ["a", "b"],
            "image": [[[1, 2], [3, 4]], np.ones((2, 2))],
            "mask": [np.nan, np.array([[True, False], [False, False]])],
            "pixel_size_nm": [0.5, np.nan],
            "area": [3.0, 4.0],
        },
        index=[10, 20],
    )
    before = user.copy(deep=True)
    table = as_particle_table(user)
    assert table is not user
    assert list(table.columns) == list(user.columns)
    assert list(table.index) == [10, 20]
    assert isinstance(table["image"].iloc[0], np.ndarray)
    assert table["mask"].iloc[0] is None
    # The user's frame still holds its list and its NaN.
    assert isinstance(user["image"].iloc[0], list)
    assert pd.isna(user["mask"].iloc[0])
    pd.testing.assert_frame_equal(
        user.drop(columns=["image", "mask"]), before.drop(columns=["image", "mask"])
    )


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((4, 4, 3)), r"2-D array, got shape \(4, 4, 3\).*grayscale"),
        (np.zeros(5), r"2-D array, got shape \(5,\)"),
        (np.zeros((4, 4), dtype=bool), "real numbers"),
        (np.zeros((4, 4), dtype=complex), "real numbers.*complex"),
        (np.array([["a", "b"]]), "real numbers"),
        (np.zeros((0, 4)), "empty"),
        (np.array([[1.0, np.inf]]), "NaN or infinite"),
        (np.array([[1.0, np.nan]]), "NaN or infinite"),
    ],
)
def test_bad_images_name_the_particle(image, message):
    table = pd.DataFrame({"id": ["ok", "bad one"], "image": [np.zeros((4, 4)), image]})
    with pytest.raises(ValueError, match=rf"particle 'bad one': .*{message}"):
        as_particle_table(table)


def test_ragged_image_is_reported():
    table = pd.DataFrame({"image": [np.zeros((4, 4)), [[1, 2], [3]]]})
    with pytest.raises(ValueError, match="particle at index 1: image is not an array"):
        as_particle_table(table)


@pytest.mark.parametrize(
    "mask, message",
    [
        (
            np.full((4, 4), 255, dtype=np.uint8),
            r"mask must be boolean \(or hold only 0 and 1\); got dtype uint8",
        ),
        (np.ones((4, 5), dtype=bool), r"mask shape \(4, 5\) differs from image shape"),
        (np.zeros((4, 4), dtype=bool), "mask is empty"),
    ],
)
def test_bad_masks_name_the_path(mask, message):
    table = pd.DataFrame(
        {
            "path": ["x/a.png", "x/b.png"],
            "image": [np.zeros((4, 4))] * 2,
            "mask": [None, mask],
        }
    )
    with pytest.raises(ValueError, match=rf"particle 'x/b.png': {message}"):
        as_particle_table(table)


@pytest.mark.parametrize("size", [0.0, -1.0, np.inf, "big"])
def test_bad_pixel_size(size):
    table = pd.DataFrame(
        {"image": [np.zeros((4, 4))] * 2, "pixel_size_nm": [1.0, size]}
    )
    with pytest.raises(ValueError, match="particle at index 1: pixel_size_nm must be"):
        as_particle_table(table)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (pd.DataFrame({"picture": [np.zeros((4, 4))]}), ValueError, "'image' column"),
        (np.zeros((5, 16)), ValueError, r"3-D array .* shape \(5, 16\)"),
        ("folder/", TypeError, "got str"),
        (3, TypeError, "got int"),
        ([], ValueError, "no particles"),
        (pd.DataFrame({"image": []}), ValueError, "no particles"),
    ],
)
def test_not_a_table(X, error, message):
    with pytest.raises(error, match=message):
        as_particle_table(X)


def test_row_label_prefers_id_then_path_then_index():
    table = pd.DataFrame(
        {"image": [0, 0, 0], "id": ["p0", None, None], "path": ["a", "b", None]},
        index=["r0", "r1", "r2"],
    )
    assert [row_label(table, i) for i in range(3)] == [
        "particle 'p0'",
        "particle 'b'",
        "particle at index 'r2'",
    ]


def test_particle_masks_expert_where_given_segmented_elsewhere():
    image, truth = ring()
    expert = np.zeros(image.shape, dtype=bool)
    expert[40:50, 40:50] = True
    table = pd.DataFrame({"image": [image, image], "mask": [expert, None]})
    masks = particle_masks(table)
    np.testing.assert_array_equal(masks[0], expert)
    iou = (masks[1] & truth).sum() / (masks[1] | truth).sum()
    assert iou > 0.9
    # No mask column at all: every particle is segmented.
    masks = particle_masks([image, image])
    np.testing.assert_array_equal(masks[0], masks[1])
    assert all(mask.dtype == bool and mask.shape == image.shape for mask in masks)


def test_particle_masks_in_parallel_equal_serial(monkeypatch):
    # Small inputs stay in the calling process; lower the bar so that these
    # three images go to two worker processes.
    monkeypatch.setattr("sklearn_lipnet.utils._parallel.MIN_PARTICLES_PER_PROCESS", 1)
    images = [ring(radius=radius)[0] for radius in (20, 25, 30)]
    serial = particle_masks(images)
    parallel = particle_masks(images, n_jobs=2)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_particle_masks_warns_about_images_without_outline():
    image, _ = ring()
    blank = np.full(image.shape, 100.0)
    table = pd.DataFrame({"id": ["ring", "blank"], "image": [image, blank]})
    with pytest.warns(
        UserWarning, match=r"no closed particle outline in 1 of 2 .*'blank'"
    ):
        masks = particle_masks(table)
    assert masks[1].any()


def test_has_expert_mask_reads_none_and_nan_as_no_mask():
    image, mask = ring()
    table = pd.DataFrame(
        {
            "image": [image] * 4,
            "mask": pd.Series([mask, None, np.nan, mask], dtype=object),
        }
    )
    np.testing.assert_array_equal(has_expert_mask(table), [True, False, False, True])
    assert has_expert_mask(table.drop(columns="mask")).tolist() == [False] * 4

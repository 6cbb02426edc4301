import hashlib
import json
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles
from sklearn_lipnet.datasets._image_io import read_image, write_image


@pytest.fixture(scope="module")
def liposomes():
    # Small particles (2 nm per pixel) keep the files small.
    return make_liposomes(
        28, weights=[20, 6, 2], pixel_size_nm=2.0, surrounding=20, random_state=0
    )


def snapshot(root):
    return {
        str(path.relative_to(root)): (
            path.stat().st_mtime_ns,
            hashlib.sha1(path.read_bytes()).hexdigest(),
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def gray(shape=(20, 24), value=100, dtype=np.uint8):
    image = np.full(shape, value, dtype=dtype)
    image[5:15, 6:18] = value // 2
    return image


def test_folder_per_class_round_trip(liposomes, tmp_path):
    table, y = liposomes
    save_particles(table, y, tmp_path)
    loaded, labels = load_particles(tmp_path)
    assert Counter(labels.tolist()) == {
        "unilamellar": 20,
        "multilamellar": 6,
        "uncertain": 2,
    }
    assert list(loaded.columns) == ["id", "image", "mask", "path"]
    by_id = {identifier: i for i, identifier in enumerate(table["id"])}
    for row, label in zip(loaded.itertuples(), labels):
        original = by_id[row.id]
        assert label == y[original]
        assert row.image.dtype == np.uint8
        np.testing.assert_array_equal(row.image, table["image"][original])
        np.testing.assert_array_equal(row.mask, table["mask"][original])
        assert row.path.endswith(f"{label}/{row.id}.png")


def test_index_round_trip_keeps_order_and_columns(liposomes, tmp_path):
    table, y = liposomes
    save_particles(table, y, tmp_path)
    loaded, labels = load_particles(tmp_path / "index.csv")
    np.testing.assert_array_equal(labels, y)
    pd.testing.assert_series_equal(loaded["id"], table["id"])
    pd.testing.assert_series_equal(loaded["pixel_size_nm"], table["pixel_size_nm"])
    for column in ("image", "mask"):
        for a, b in zip(loaded[column], table[column]):
            np.testing.assert_array_equal(a, b)


def test_tiff_round_trip_of_float_images(tmp_path):
    images = [np.linspace(-1, 1, 30, dtype=np.float32).reshape(5, 6)] * 2
    table = pd.DataFrame({"id": ["a", "b"], "image": images})
    with pytest.raises(ValueError, match="PNG stores 8- or 16-bit"):
        save_particles(table, ["x", "y"], tmp_path / "png")
    save_particles(table, ["x", "y"], tmp_path / "tif", image_format="tiff")
    loaded, labels = load_particles(tmp_path / "tif")
    assert labels.tolist() == ["x", "y"]
    np.testing.assert_array_equal(loaded["image"][0], images[0])


def test_loading_modifies_nothing_on_disk(liposomes, tmp_path):
    table, y = liposomes
    save_particles(table.iloc[:6], y[:6], tmp_path)
    (tmp_path / "unilamellar" / "broken.png").write_bytes(b"not a png")
    before = snapshot(tmp_path)
    with pytest.warns(UserWarning, match="broken.png"):
        load_particles(tmp_path, on_error="skip")
    load_particles(tmp_path / "index.csv")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "suffix, dtype",
    [
        (".png", np.uint8),
        (".png", np.uint16),
        (".tif", np.uint8),
        (".tif", np.uint16),
        (".tiff", np.float32),
    ],
)
def test_lossless_formats_keep_values_and_dtype(tmp_path, suffix, dtype):
    image = (np.arange(35).reshape(5, 7) * (300 if dtype == np.uint16 else 7)).astype(
        dtype
    )
    write_image(tmp_path / f"a{suffix}", image)
    read = read_image(tmp_path / f"a{suffix}")
    assert read.dtype == dtype
    np.testing.assert_array_equal(read, image)


def test_jpeg_bmp_and_mrc(tmp_path):
    image = gray((32, 32))
    Image.fromarray(image).save(tmp_path / "a.jpg", quality=95)
    Image.fromarray(image).save(tmp_path / "b.bmp")
    read = read_image(tmp_path / "a.jpg")
    assert read.shape == (32, 32) and np.abs(read.astype(int) - image).mean() < 3
    np.testing.assert_array_equal(read_image(tmp_path / "b.bmp"), image)
    mrcfile = pytest.importorskip("mrcfile")
    with mrcfile.new(tmp_path / "c.mrc") as handle:
        handle.set_data(image.astype(np.float32))
    np.testing.assert_array_equal(read_image(tmp_path / "c.mrc"), image)


def test_colour_images_become_gray_with_one_warning(tmp_path):
    for name, colour in [("red", (200, 10, 10)), ("blue", (10, 10, 200))]:
        rgb = np.zeros((10, 12, 3), dtype=np.uint8)
        rgb[:] = colour
        Image.fromarray(rgb).save(tmp_path / f"{name}.png")
    # A gray image stored as RGB is not colour and is taken as it is.
    Image.fromarray(np.stack([gray()] * 3, axis=-1)).save(tmp_path / "gray.png")
    with pytest.warns(
        UserWarning, match=r"2 colour image\(s\) were converted"
    ) as record:
        table, y = load_particles(tmp_path)
    assert len(record) == 1 and record[0].filename == __file__
    assert y is None
    red = table.set_index("id").loc["red", "image"]
    assert red.dtype == np.uint8 and red.shape == (10, 12)
    assert red[0, 0] == round(0.299 * 200 + 0.587 * 10 + 0.114 * 10)
    np.testing.assert_array_equal(table.set_index("id").loc["gray", "image"], gray())
    with pytest.warns(UserWarning, match=r"1 colour image\(s\).*red\.png") as record:
        assert read_image(tmp_path / "red.png").ndim == 2
    assert record[0].filename == __file__


def test_masks_beside_images_and_in_a_parallel_tree(tmp_path):
    root, masks = tmp_path / "images", tmp_path / "masks"
    mask = np.zeros((20, 24), dtype=bool)
    mask[4:16, 5:19] = True
    for folder in (root / "a", root / "b" / "sub", masks / "b" / "sub"):
        folder.mkdir(parents=True)
    write_image(root / "a" / "p1.png", gray())
    write_image(root / "a" / "p1_mask.png", mask)
    write_image(root / "a" / "p2.png", gray())  # no mask
    write_image(root / "b" / "sub" / "p3.tif", gray(dtype=np.uint16))
    write_image(masks / "b" / "sub" / "p3.png", mask)
    (root / "a" / "notes.txt").write_text("not an image")
    (root / "a" / ".hidden.png").write_bytes(b"junk")
    (root / ".thumbnails").mkdir()
    table, y = load_particles(root, mask_dir=masks, pixel_size_nm=0.8)
    assert table["id"].tolist() == ["p1", "p2", "p3"]
    assert y.tolist() == ["a", "a", "b"]
    np.testing.assert_array_equal(table["mask"][0], mask)
    assert table["mask"][1] is None
    np.testing.assert_array_equal(table["mask"][2], mask)
    assert table["image"][2].dtype == np.uint16
    assert (table["pixel_size_nm"] == 0.8).all()


def test_thesis_style_json_index_with_pixels_and_features(tmp_path):
    records = [
        {
            "Id": 7,
            "Image": gray().tolist(),
            "Class": "Full",
            "Area": 120.5,
            "Moments": [1.0, 2.0, 3.0, 4.0],
        },
        {
            "Id": 8,
            "Image": gray(value=80).tolist(),
            "Class": "Empty",
            "Area": 99.0,
            "Moments": [0.5, 0.1, 0.0, 0.2],
        },
    ]
    (tmp_path / "particles.json").write_text(json.dumps(records))
    table, y = load_particles(tmp_path / "particles.json")
    assert y.tolist() == ["Full", "Empty"]
    assert table["id"].tolist() == ["7", "8"]  # ids are text, whatever the file
    assert table["Area"].tolist() == [120.5, 99.0]
    assert table["Moments"][1] == [0.5, 0.1, 0.0, 0.2]
    np.testing.assert_array_equal(table["image"][1], gray(value=80))


def test_csv_index_with_relative_paths_and_custom_columns(tmp_path):
    (tmp_path / "img").mkdir()
    write_image(tmp_path / "img" / "x.png", gray())
    write_image(tmp_path / "img" / "y.png", gray(value=60))
    pd.DataFrame(
        {
            "File Name": ["img/x.png", "img/y.png"],
            "Expert": ["uni", "multi"],
            "Circularity": [0.9, 0.8],
        }
    ).to_csv(tmp_path / "index.csv", index=False)
    with pytest.raises(ValueError, match=r"cannot tell which column names the image"):
        load_particles(tmp_path / "index.csv")
    table, y = load_particles(
        tmp_path / "index.csv", image_column="file name", label_column="Expert"
    )
    assert y.tolist() == ["uni", "multi"]
    assert table["Circularity"].tolist() == [0.9, 0.8]
    assert table["path"][0].endswith("img/x.png")


# ---- bad input ------------------------------------------------------------


def class_folder(tmp_path, n=3):
    (tmp_path / "uni").mkdir()
    for i in range(n):
        write_image(tmp_path / "uni" / f"p{i}.png", gray())
    return tmp_path / "uni"


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere: no such file or folder"):
        load_particles(tmp_path / "nowhere")


@pytest.mark.parametrize("content", [b"not an image at all", "truncated"])
def test_corrupt_image_raises_or_is_skipped(tmp_path, content):
    folder = class_folder(tmp_path)
    if content == "truncated":
        content = (folder / "p0.png").read_bytes()[:60]
    (folder / "bad.png").write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.png: cannot read the image"):
        load_particles(tmp_path)
    with pytest.warns(UserWarning, match=r"Skipped 1 of 4 particles.*\n.*bad\.png"):
        table, y = load_particles(tmp_path, on_error="skip")
    assert table["id"].tolist() == ["p0", "p1", "p2"]


def test_mask_of_another_shape(tmp_path):
    folder = class_folder(tmp_path)
    write_image(folder / "p1_mask.png", np.ones((20, 25), dtype=bool))
    with pytest.raises(
        ValueError,
        match=r"p1_mask\.png: mask shape \(20, 25\) "
        r"differs from the shape \(20, 24\) of its image .*p1\.png",
    ):
        load_particles(tmp_path)
    with pytest.warns(UserWarning, match=r"(?s)Skipped 1 of 3.*p1_mask\.png"):
        table, _ = load_particles(tmp_path, on_error="skip")
    assert len(table) == 2


def test_empty_mask(tmp_path):
    folder = class_folder(tmp_path)
    write_image(folder / "p2_mask.png", np.zeros((20, 24), dtype=bool))
    with pytest.raises(ValueError, match=r"p2_mask\.png: mask is empty"):
        load_particles(tmp_path)


def test_empty_class_folder(tmp_path):
    class_folder(tmp_path)
    (tmp_path / "multi").mkdir()
    (tmp_path / "multi" / "readme.txt").write_text("nothing here")
    with pytest.raises(ValueError, match=r"multi: class folder 'multi' contains no"):
        load_particles(tmp_path)
    with pytest.warns(UserWarning, match=r"class folder 'multi' contains no images"):
        table, y = load_particles(tmp_path, on_error="skip")
    assert set(y) == {"uni"}


def test_index_row_pointing_at_a_missing_file(tmp_path):
    class_folder(tmp_path)
    pd.DataFrame(
        {"id": ["a", "b"], "image": ["uni/p0.png", "uni/gone.png"], "class": ["u", "u"]}
    ).to_csv(tmp_path / "index.csv", index=False)
    with pytest.raises(
        FileNotFoundError,
        match=r"index\.csv, line 3 \(id 'b'\): image file .*gone\.png "
        "does not exist",
    ):
        load_particles(tmp_path / "index.csv")
    with pytest.warns(UserWarning, match=r"(?s)Skipped 1 of 2 .*gone\.png"):
        table, y = load_particles(tmp_path / "index.csv", on_error="skip")
    assert table["id"].tolist() == ["a"]


def test_index_problems(tmp_path):
    class_folder(tmp_path)
    (tmp_path / "list.txt").write_text("uni/p0.png")
    with pytest.raises(ValueError, match=r"list\.txt: expected a folder or an index"):
        load_particles(tmp_path / "list.txt")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json: cannot read the index"):
        load_particles(tmp_path / "bad.json")
    pd.DataFrame({"image": ["uni/p0.png", "uni/p1.png"], "class": ["u", None]}).to_csv(
        tmp_path / "index.csv", index=False
    )
    with pytest.raises(ValueError, match=r"line 3: no class in column 'class'"):
        load_particles(tmp_path / "index.csv")
    with pytest.raises(ValueError, match=r"no image column 'picture'"):
        load_particles(tmp_path / "index.csv", image_column="picture")


def test_nothing_loadable_and_bad_options(tmp_path):
    (tmp_path / "uni").mkdir()
    (tmp_path / "uni" / "a.png").write_bytes(b"junk")
    with (
        warnings.catch_warnings(),
        pytest.raises(ValueError, match="no particle could be"),
    ):
        warnings.simplefilter("ignore")
        load_particles(tmp_path, on_error="skip")
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip'"):
        load_particles(tmp_path, on_error="ignore")
    with pytest.raises(FileNotFoundError, match="mask_dir"):
        load_particles(tmp_path, mask_dir=tmp_path / "masks")
    with pytest.raises(ValueError, match="pixel_size_nm must be a positive"):
        load_particles(tmp_path, pixel_size_nm=-1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images found"):
        load_particles(tmp_path / "empty")


def test_save_refuses_to_overwrite_and_checks_names(liposomes, tmp_path):
    table, y = liposomes
    save_particles(table.iloc[:3], y[:3], tmp_path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_particles(table.iloc[:3], y[:3], tmp_path)
    save_particles(table.iloc[:3], y[:3], tmp_path, overwrite=True)
    twice = pd.concat([table.iloc[:1], table.iloc[:1]])
    with pytest.raises(ValueError, match="occurs twice in class"):
        save_particles(twice, ["a", "a"], tmp_path / "twice")
    with pytest.raises(ValueError, match="label 'a/b' cannot be used"):
        save_particles(table.iloc[:1], ["a/b"], tmp_path / "slash")
    with pytest.raises(ValueError, match="one label per particle"):
        save_particles(table.iloc[:2], ["a"], tmp_path / "short")
    extra = table.iloc[:2].assign(profile=[[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match=r"\['profile'\] hold more than one value"):
        save_particles(extra, None, tmp_path / "unlabelled")
    loaded, labels = load_particles(tmp_path / "unlabelled")
    assert labels is None and len(loaded) == 2

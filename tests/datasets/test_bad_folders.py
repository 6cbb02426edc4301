"""Clumsy and hostile folders: every problem named by its file, nothing
dropped without a word, nothing loaded twice, text kept as text."""

import json
import os

import numpy as np
import pytest
import tifffile
from PIL import Image

from sklearn_lipnet.datasets import SkippedParticlesWarning, load_particles
from sklearn_lipnet.datasets._image_io import ImageReadError, read_image, write_image


def gray(shape=(20, 24), value=100):
    image = np.full(shape, value, dtype=np.uint8)
    image[5:15, 6:18] = value // 2
    return image


def _class_folders(root, counts):
    for label, count in counts.items():
        (root / label).mkdir(parents=True)
        for i in range(count):
            write_image(root / label / f"{label}{i}.png", gray(value=100 + i))


# -- text stays text ----------------------------------------------------------


def test_csv_ids_paths_and_labels_are_not_type_guessed(tmp_path):
    write_image(tmp_path / "007.png", gray())
    write_image(tmp_path / "1e3.png", gray())
    (tmp_path / "index.csv").write_text(
        "id,image,class,Area\n007,007.png,01,1.5\n1e3,1e3.png,2,2\n"
    )
    table, y = load_particles(tmp_path / "index.csv")
    assert table["id"].tolist() == ["007", "1e3"]
    assert y.tolist() == ["01", "2"]
    assert table["Area"].tolist() == [1.5, 2.0]  # other columns stay numbers


def test_jsonl_and_json_ids_and_labels_are_text(tmp_path):
    write_image(tmp_path / "a.png", gray())
    records = [
        {"id": "007", "image": "a.png", "label": "01"},
        {"id": 8, "image": "a.png", "label": 2},
    ]
    (tmp_path / "index.jsonl").write_text("\n".join(map(json.dumps, records)))
    table, y = load_particles(tmp_path / "index.jsonl")
    assert table["id"].tolist() == ["007", "8"]
    assert y.tolist() == ["01", "2"]
    (tmp_path / "index.json").write_text(json.dumps(records))
    table, y = load_particles(tmp_path / "index.json")
    assert table["id"].tolist() == ["007", "8"] and y.tolist() == ["01", "2"]


# -- on_error="skip" skips what it should, errors name the file ----------------


def test_a_float_tiff_with_nan_pixels_is_skipped_and_named(tmp_path):
    _class_folders(tmp_path, {"a": 2})
    image = np.ones((8, 8), np.float32)
    image[2, 3] = np.nan
    tifffile.imwrite(tmp_path / "a" / "holes.tif", image)
    with pytest.raises(ValueError, match=r"holes\.tif: the image has 1 NaN"):
        load_particles(tmp_path)
    with pytest.warns(SkippedParticlesWarning, match=r"holes\.tif"):
        table, _ = load_particles(tmp_path, on_error="skip")
    assert table["id"].tolist() == ["a0", "a1"]


def test_a_bad_pixel_size_row_is_skipped_and_named(tmp_path):
    write_image(tmp_path / "a.png", gray())
    (tmp_path / "index.csv").write_text(
        "id,image,pixel_size_nm\np1,a.png,0.8\np2,a.png,abc\np3,a.png,-1\np4,a.png,\n"
    )
    with pytest.raises(ValueError, match=r"index\.csv, line 3 \(id 'p2'\).*'abc'"):
        load_particles(tmp_path / "index.csv")
    with pytest.warns(SkippedParticlesWarning, match=r"line 4 \(id 'p3'\)"):
        table, _ = load_particles(tmp_path / "index.csv", on_error="skip")
    assert table["id"].tolist() == ["p1", "p4"]
    assert table["pixel_size_nm"].iloc[0] == 0.8
    assert np.isnan(table["pixel_size_nm"].iloc[1])  # missing is allowed


def _unreadable(monkeypatch, folder):
    scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


def test_an_unreadable_sub_folder_is_reported(tmp_path, monkeypatch):
    _class_folders(tmp_path, {"a": 2, "b": 1})
    (tmp_path / "b" / "sub").mkdir()
    write_image(tmp_path / "b" / "sub" / "lost.png", gray())
    _unreadable(monkeypatch, tmp_path / "b" / "sub")
    with pytest.raises(ValueError, match=r"b/sub: cannot read the folder"):
        load_particles(tmp_path)
    with pytest.warns(SkippedParticlesWarning, match="cannot read"):
        table, y = load_particles(tmp_path, on_error="skip")
    assert y.tolist() == ["a", "a", "b"]


def test_an_unreadable_class_folder_is_not_called_empty(tmp_path, monkeypatch):
    _class_folders(tmp_path, {"a": 2, "b": 1})
    _unreadable(monkeypatch, tmp_path / "b")
    with pytest.raises(ValueError, match=r"/b: cannot read the folder \(Permission"):
        load_particles(tmp_path)


# -- images that are not one image -----------------------------------------


def test_images_over_the_pixel_limit_are_refused_before_reading(tmp_path, monkeypatch):
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((20, 30), np.uint16))
    write_image(tmp_path / "big.png", np.zeros((20, 30), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    for name in ("big.tif", "big.png"):
        with pytest.raises(ImageReadError, match=rf"{name}: declares 20 x 30 = 600"):
            read_image(tmp_path / name)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 600)
    assert read_image(tmp_path / "big.tif").shape == (20, 30)


def test_complex_images_are_refused(tmp_path):
    tifffile.imwrite(tmp_path / "fft.tif", np.full((8, 8), 300 + 4j, np.complex64))
    with pytest.raises(ImageReadError, match=r"fft\.tif: holds complex values"):
        read_image(tmp_path / "fft.tif")


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_animations_are_refused_like_tiff_stacks(tmp_path, suffix):
    frames = [Image.fromarray(gray(value=v)) for v in (100, 200)]
    path = tmp_path / f"movie{suffix}"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageReadError, match=r"holds 2 frames"):
        read_image(path)


# -- links, folders named as images, ragged pixels ----------------------------


def test_a_class_folder_linking_to_the_root_does_not_load_twice(tmp_path):
    root = tmp_path / "data"
    _class_folders(root, {"a": 2, "b": 1})
    (root / "everything").symlink_to(root, target_is_directory=True)
    with pytest.raises(ValueError, match=r"'everything' is a link to .*root"):
        load_particles(root)
    with pytest.warns(SkippedParticlesWarning):
        table, y = load_particles(root, on_error="skip")
    assert sorted(y.tolist()) == ["a", "a", "b"]


def test_links_inside_class_folders_are_read_once(tmp_path):
    _class_folders(tmp_path, {"a": 2, "b": 1})
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "b" / "again.png").symlink_to(tmp_path / "a" / "a0.png")
    with pytest.warns(SkippedParticlesWarning) as record:
        table, y = load_particles(tmp_path, on_error="skip")
    message = str(record[0].message)
    assert "a/loop: links to" in message and "again.png: is the same file" in message
    assert y.tolist() == ["a", "a", "b"]


def test_an_index_row_naming_a_folder(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "index.csv").write_text("image\nimages\n")
    with pytest.raises(ValueError, match=r"line 2: image .*images is a folder"):
        load_particles(tmp_path / "index.csv")


def test_ragged_pixel_lists_name_their_record(tmp_path):
    records = [{"id": "p1", "image": [[1, 2, 3], [4, 5]], "class": "a"}]
    (tmp_path / "index.json").write_text(json.dumps(records))
    with pytest.raises(ValueError, match=r"record 0 \(id 'p1'\): the image cell"):
        load_particles(tmp_path / "index.json")


# -- writing: whole files or none -------------------------------------------


def test_an_interrupted_save_leaves_the_previous_index_and_images(
    tmp_path, monkeypatch
):
    import pandas as pd

    from sklearn_lipnet.datasets import save_particles

    table = pd.DataFrame({"id": ["p1", "p2"], "image": [gray(), gray(value=60)]})
    save_particles(table, ["a", "b"], tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def half_written(self, handle, **kwargs):
        handle.write("id,ima")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    changed = table.assign(image=[gray(value=30), gray(value=40)])
    with pytest.raises(KeyboardInterrupt):
        save_particles(changed, ["a", "b"], tmp_path, overwrite=True)
    assert (tmp_path / "index.csv").read_bytes() == before[tmp_path / "index.csv"]
    monkeypatch.undo()

    def broken_png(self, handle, **kwargs):
        handle.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_png)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(OSError, match="No space left"):
        save_particles(changed, ["a", "b"], tmp_path, overwrite=True)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # no half file, no temporary file left behind

"""Files and folders written whole or not at all."""

import os
import signal

import pytest

from sklearn_lipnet.utils import atomic_file, replacing_folder, write_atomically
from sklearn_lipnet.utils._files import deferred_interrupts


def _tree(root):
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_old_file_byte_identical(tmp_path, error):
    path = tmp_path / "model.lipnet"
    path.write_bytes(b"the previous good model")
    with pytest.raises(type(error)):
        with atomic_file(path) as handle:
            handle.write(b"half of a new")
            raise error
    assert path.read_bytes() == b"the previous good model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.lipnet"]


@pytest.mark.parametrize(
    "write",
    [
        lambda path: atomic_file(path).__enter__(),
        lambda path: write_atomically(path, lambda target: target.write_text("x")),
    ],
    ids=["atomic_file", "write_atomically"],
)
def test_a_missing_folder_is_named_not_the_temporary_file(tmp_path, write):
    path = tmp_path / "no such folder" / "model.lipnet"
    with pytest.raises(FileNotFoundError) as caught:
        write(path)
    message = str(caught.value)
    assert f"the folder {path.parent} does not exist" in message
    assert ".partial" not in message
    assert list(tmp_path.iterdir()) == []


def test_a_finished_write_replaces_the_file_with_normal_permissions(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("x")
    path = tmp_path / "predictions.csv"
    path.write_text("old")
    with atomic_file(path, "w", newline="") as handle:
        handle.write("id,predicted\n")
    assert path.read_text() == "id,predicted\n"
    assert os.stat(path).st_mode == os.stat(plain).st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plain.csv",
        "predictions.csv",
    ]


@pytest.mark.parametrize("error", [RuntimeError("plot failed"), KeyboardInterrupt()])
def test_an_interrupted_folder_leaves_the_old_folder_intact(tmp_path, error):
    report = tmp_path / "report"
    (report / "sub").mkdir(parents=True)
    (report / "report.md").write_text("old report")
    (report / "sub" / "a.png").write_bytes(b"old plot")
    before = _tree(report)
    with pytest.raises(type(error)):
        with replacing_folder(report) as folder:
            (folder / "report.md").write_text("new report")
            raise error
    assert _tree(report) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_finished_folder_replaces_the_old_one_as_a_whole(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "training_curves_encapsulation.png").write_bytes(b"old run")
    with replacing_folder(report) as folder:
        (folder / "report.md").write_text("new")
    assert _tree(report) == {"report.md": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    plain = tmp_path / "plain"
    plain.mkdir()
    assert os.stat(report).st_mode == os.stat(plain).st_mode


def test_ctrl_c_is_held_back_until_the_renames_are_done(ctrl_c):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the rest of the block")
    assert done == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

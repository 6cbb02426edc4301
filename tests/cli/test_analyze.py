"""``lipnet generate --micrographs``, ``train`` and ``analyze``, end to end."""

import contextlib
import io
import logging

import numpy as np
import pandas as pd
import pytest
import tifffile
from PIL import Image

from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import list_micrographs
from sklearn_lipnet.datasets._image_io import read_image
from sklearn_lipnet.detection import find_particles, match_particles


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("analyze")
    micrographs = root / "micrographs"
    assert (
        main(
            [
                "generate",
                str(micrographs),
                "--micrographs",
                "2",
                "--samples",
                "2",
                "--micrograph-size",
                "512",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    # Bad micrographs first in the index: an unreadable file and a stack.
    (micrographs / "sample-1" / "broken.tif").write_bytes(b"not a TIFF at all")
    tifffile.imwrite(
        micrographs / "sample-1" / "stack.tif",
        np.zeros((5, 64, 64), np.uint8),
        photometric="minisblack",
    )
    index = pd.read_csv(micrographs / "micrographs.csv")
    bad = pd.DataFrame(
        {
            "path": ["sample-1/broken.tif", "sample-1/stack.tif"],
            "sample": "sample-1",
            "id": ["broken", "stack"],
            "pixel_size_nm": 1.0,
        }
    )
    pd.concat([bad, index]).to_csv(micrographs / "micrographs.csv", index=False)
    cut_outs, model = root / "cut-outs", root / "svm.lipnet"
    assert main(["generate", str(cut_outs), "--n-samples", "150", "--seed", "1"]) == 0
    train = ["train", "--data", str(cut_outs), "--out", str(model)]
    assert main([*train, "--model", "svm", "--quiet"]) == 0
    return root, micrographs, model


def analyze(workspace, out, *options):
    root, micrographs, model = workspace
    command = ["analyze", str(micrographs), "--model", str(model)]
    return main([*command, "--out", str(root / out), *options])


@pytest.fixture(scope="module")
def report(workspace):
    # Two processes: the parallel path; the Dask test compares with it.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert analyze(workspace, "report", "--on-error", "skip", "--jobs", "2") == 0
    return workspace[0] / "report", printed.getvalue()


def test_a_bad_micrograph_stops_the_run_and_is_named(workspace, capsys):
    assert analyze(workspace, "stopped") == 2
    error = capsys.readouterr().err
    assert "broken.tif" in error and "--on-error skip" in error


def test_bad_micrographs_are_reported_and_skipped(report):
    report, _ = report
    skipped = pd.read_csv(report / "skipped.csv")
    assert skipped["micrograph"].tolist() == ["broken", "stack"]
    assert "cannot read" in skipped["error"][0]
    assert "expected one 2-D image" in skipped["error"][1]
    text = (report / "report.md").read_text()
    assert "Skipped micrographs" in text and "broken.tif" in text


def test_report_counts_match_the_detections(workspace, report):
    _, micrographs, _ = workspace
    report, _ = report
    particles = pd.read_csv(report / "particles.csv")
    summary = pd.read_csv(report / "summary.csv")
    listed = list_micrographs(micrographs).iloc[2:]  # the good ones
    found = find_particles(
        pd.DataFrame(
            {
                "id": listed["id"],
                "image": [read_image(path) for path in listed["path"]],
                "sample": listed["sample"],
            }
        )
    )
    # every detection is in the CSV, classified, at the same place
    assert len(particles) == len(found) > 5
    np.testing.assert_allclose(particles["y"], found["y"])
    proba = particles.filter(like="p_").to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert set(particles["class"]) <= {"unilamellar", "multilamellar", "uncertain"}
    # the summary counts the particles not cut by the border, per sample
    whole = particles[~particles["cut_by_border"]]
    totals = summary[summary["class"] == "all"].set_index("sample")["n"]
    assert totals.to_dict() == whole.groupby("sample").size().to_dict()
    per_class = summary[summary["class"] != "all"]
    np.testing.assert_allclose(per_class.groupby("sample")["fraction"].sum(), 1)
    assert (per_class["fraction_low"] <= per_class["fraction"]).all()
    # the detections are the true particles
    truth = pd.read_csv(micrographs / "particles.csv")
    found["pixel_size_nm"] = 1.0
    assert len(match_particles(found, truth)) >= 0.9 * len(truth)


def test_report_files(report):
    report, _ = report
    for name in (
        "report.md",
        "settings.json",
        "sizes_sample-1.png",
        "sizes_sample-2.png",
    ):
        assert (report / name).is_file()
    overlays = sorted((report / "overlays").rglob("*.png"))
    assert [path.parent.name for path in overlays] == ["sample-1"] * 2 + [
        "sample-2"
    ] * 2
    assert np.asarray(Image.open(overlays[0])).shape == (512, 512, 3)
    text = (report / "report.md").read_text()
    assert "## Sample sample-1" in text and "## Sample sample-2" in text
    assert "D50" in text and "%" in text
    assert not list(report.rglob(".*partial*"))


def test_progress_and_summary_are_printed(report):
    _, out = report
    assert "[6/6]" in out and "left" in out
    assert "sample-1:" in out and "report written to" in out


def test_an_earlier_report_is_not_overwritten(workspace, report, capsys):
    report, _ = report
    before = (report / "particles.csv").read_text()
    assert analyze(workspace, "report", "--on-error", "skip") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (report / "particles.csv").read_text() == before


def test_dask_cluster_gives_the_same_particles(workspace, report):
    # The same particles, in the same order, as the two local processes.
    distributed = pytest.importorskip("distributed")
    expected = pd.read_csv(report[0] / "particles.csv")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        options = ["--on-error", "skip", "--scheduler", cluster.scheduler_address]
        assert analyze(workspace, "dask", *options, "--no-overlays") == 0
    on_dask = pd.read_csv(workspace[0] / "dask" / "particles.csv")
    assert not (workspace[0] / "dask" / "overlays").exists()
    pd.testing.assert_frame_equal(on_dask, expected)

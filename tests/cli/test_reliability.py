"""The ``lipnet`` command under Ctrl-C, full disks, clumsy arguments and bad
files: nothing the user had is lost, nothing half-written is left."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sklearn_lipnet.cli import _train, main
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles

ROOT = Path(__file__).resolve().parents[2]
EPOCH_ROW = re.compile(r"^\s+1\s")  # skorch colours the numbers
#: The benchmark's progress line once its first network fold is training.
TRAINING = re.compile(r"LipNet-\d.* %")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "particles"
    table, y = make_liposomes(
        24, weights=[0.5, 0.25, 0.25], surrounding=10, random_state=0
    )
    save_particles(table, y, root)
    return root


def _tree(root):
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _interrupt_after_the_first_epoch(argv, cwd, marker=EPOCH_ROW, stream="stdout"):
    """Run ``lipnet argv``; send SIGINT once ``marker`` shows; the result.

    ``train`` prints skorch's table (one row per epoch) on stdout; the
    benchmark its progress line on stderr.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sklearn_lipnet.cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The command gets Ctrl-C as at a terminal, even where this test run
        # was started with SIGINT ignored (in the background).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        for line in getattr(process, stream):
            if marker.search(line):
                process.send_signal(signal.SIGINT)
                break
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stderr


def test_ctrl_c_during_train_exits_130_and_keeps_the_old_model(folder, tmp_path):
    model = tmp_path / "model.lipnet"
    model.write_bytes(b"the model trained last week")
    code, stderr = _interrupt_after_the_first_epoch(
        [
            "train",
            "--data",
            str(folder),
            "--out",
            str(model),
            "--model",
            "lipnet1",
            "--epochs",
            "1000",
            "--batch-size",
            "8",
            "--device",
            "cpu",
        ],
        tmp_path,
    )
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert model.read_bytes() == b"the model trained last week"
    assert [p.name for p in tmp_path.iterdir()] == ["model.lipnet"]


def test_ctrl_c_during_benchmark_exits_130_and_keeps_the_old_report(folder, tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("# last month's report")
    (report / "results.csv").write_text("problem,model\n")
    before = _tree(report)
    code, stderr = _interrupt_after_the_first_epoch(
        [
            "benchmark",
            "--data",
            str(folder),
            "--models",
            "lipnet1",
            "--folds",
            "2",
            "--epochs",
            "1000",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--out",
            str(report),
        ],
        tmp_path,
        marker=TRAINING,
        stream="stderr",
    )
    assert code == 130, stderr
    assert "KeyError" not in stderr
    assert _tree(report) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_failed_report_leaves_the_old_report(folder, tmp_path, monkeypatch, capsys):
    from sklearn_lipnet.experiments import _report

    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").write_text("# last month's report")
    before = _tree(report)

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_report, "_plot_measures", no_space)
    argv = ["benchmark", "--data", str(folder), "--models", "svm", "--folds", "2"]
    assert main([*argv, "--out", str(report), "--quiet"]) == 2
    assert "No space left" in capsys.readouterr().err
    assert _tree(report) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_benchmark_refuses_a_folder_of_other_files_before_running(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "thesis.tex").write_text("my thesis")
    ran = []
    monkeypatch.setattr("sklearn_lipnet.cli._benchmark._datasets", ran.append)
    assert main(["benchmark", "--out", str(tmp_path)]) == 2
    assert "not part of a report, e.g. thesis.tex" in capsys.readouterr().err
    assert not ran
    assert (tmp_path / "thesis.tex").read_text() == "my thesis"


@pytest.mark.parametrize(
    "out, message",
    [("missing/model.lipnet", "does not exist"), (".", "is a folder")],
)
def test_train_checks_out_before_training(
    folder, tmp_path, monkeypatch, capsys, out, message
):
    built = []
    monkeypatch.setattr(_train, "build_model", lambda *args: built.append(args))
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", str(folder), "--out", out]) == 2
    assert message in capsys.readouterr().err
    assert not built


def test_svm_with_a_one_particle_class_says_so(tmp_path, capsys):
    table, y = make_liposomes(12, weights=[0.5, 0.45, 0.05], random_state=0)
    assert sorted(pd.Series(y).value_counts()) == [1, 5, 6]
    save_particles(table, y, tmp_path / "data")
    argv = ["train", "--data", str(tmp_path / "data"), "--model", "svm"]
    assert main([*argv, "--out", str(tmp_path / "m.lipnet"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs at least 2 particles of every class; class 'uncertain' (1)" in err
    assert not (tmp_path / "m.lipnet").exists()


@pytest.fixture(scope="module")
def svm_model(folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "svm.lipnet"
    assert (
        main(
            [
                "train",
                "--data",
                str(folder),
                "--out",
                str(path),
                "--model",
                "svm",
                "--quiet",
            ]
        )
        == 0
    )
    return path


def test_predict_skips_unreadable_images_and_lists_them(
    svm_model, folder, tmp_path, capsys
):
    images = sorted(p for p in folder.glob("*/*.png") if "_mask" not in p.name)[:4]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    out = tmp_path / "predictions.csv"
    argv = ["predict", "--model", str(svm_model), *map(str, images), str(broken)]
    assert main([*argv, "--out", str(out)]) == 2
    assert "broken.png: cannot read the image" in capsys.readouterr().err
    assert not out.exists()
    assert main([*argv, "--out", str(out), "--on-error", "skip"]) == 0
    assert pd.read_csv(out)["path"].tolist() == list(map(str, images))
    err = capsys.readouterr().err
    assert "skipped 1 of 5 particles" in err and "broken.png" in err


def test_predict_skips_in_folders_too(svm_model, folder, tmp_path, capsys):
    data = tmp_path / "new"
    data.mkdir()
    for path in sorted(p for p in folder.glob("*/*.png") if "_mask" not in p.name)[:3]:
        (data / path.name).write_bytes(path.read_bytes())
    (data / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "predictions.csv"
    argv = ["predict", "--model", str(svm_model), str(data), "--out", str(out)]
    assert main([*argv, "--on-error", "skip"]) == 0
    assert len(pd.read_csv(out)) == 3
    assert "broken.png" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["INDEX.CSV", "index.jsonl"])
def test_predict_reads_every_index_that_load_particles_reads(
    svm_model, folder, tmp_path, name
):
    index = pd.read_csv(folder / "index.csv", dtype=str)
    index["image"] = [str(folder / image) for image in index["image"]]
    index["mask"] = [str(folder / mask) for mask in index["mask"]]
    path = tmp_path / name
    if name.endswith(".jsonl"):
        index.to_json(path, orient="records", lines=True)
    else:
        index.to_csv(path, index=False)
    out = tmp_path / "predictions.csv"
    assert (
        main(["predict", "--model", str(svm_model), str(path), "--out", str(out)]) == 0
    )
    assert pd.read_csv(out, dtype={"id": str})["id"].tolist() == index["id"].tolist()


def test_an_interrupted_predict_leaves_the_old_predictions(
    svm_model, folder, tmp_path, monkeypatch
):
    out = tmp_path / "predictions.csv"
    out.write_text("id,predicted\nold,full\n")

    def half_written(self, handle, **kwargs):
        handle.write("id,predicted\nnew,")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    argv = ["predict", "--model", str(svm_model), str(folder), "--out", str(out)]
    assert main(argv) == 130
    assert out.read_text() == "id,predicted\nold,full\n"
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]


def test_generate_overwrite_replaces_the_earlier_set_and_only_it(tmp_path, capsys):
    out = tmp_path / "synthetic"
    assert main(["generate", str(out), "--n-samples", "12"]) == 0
    argv = ["generate", str(out), "--n-samples", "10", "--problem", "encapsulation"]
    # A file the earlier set's index does not list is neither removed nor
    # left to mix into the new set: the command refuses.
    (out / "unilamellar" / "mine.png").write_bytes(b"my particle")
    assert main([*argv, "--overwrite"]) == 2
    assert "mine.png" in capsys.readouterr().err
    assert (out / "unilamellar" / "mine.png").read_bytes() == b"my particle"
    (out / "unilamellar" / "mine.png").unlink()
    assert main([*argv, "--overwrite"]) == 0
    table, y = load_particles(out)
    assert len(table) == 10
    assert set(y) <= {"full", "empty", "uncertain"}  # no lamellarity left
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(set(y))


def test_generate_overwrite_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "photo.png").write_bytes(b"holiday")
    assert main(["generate", str(tmp_path), "--n-samples", "12", "--overwrite"]) == 2
    assert "no index.csv of an earlier" in capsys.readouterr().err
    assert (tmp_path / "photo.png").read_bytes() == b"holiday"


def test_benchmark_replaces_its_own_earlier_report(folder, tmp_path, capsys):
    # Every figure a report writes (the inspection figures included) must
    # count as part of it, or the next run into the folder is refused.
    report = tmp_path / "report"
    argv = ["benchmark", "--data", str(folder), "--folds", "2", "--quiet"]
    argv += ["--models", "lipnet4", "svm", "--epochs", "1", "--out", str(report)]
    assert main(argv) == 0
    first = sorted(path.name for path in report.iterdir())
    assert any(name.startswith("filters_") for name in first)
    assert any(name.startswith("feature_importance_") for name in first)
    assert main(argv) == 0, capsys.readouterr().err
    assert sorted(path.name for path in report.iterdir()) == first

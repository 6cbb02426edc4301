"""The ``lipnet`` command, run in-process through its ``main``."""

import json

import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet import load_model
from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles


@pytest.fixture(scope="module")
def particle_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("particles")
    table, y = make_liposomes(
        48,
        problem="encapsulation",
        weights={"full": 0.5, "empty": 0.25, "uncertain": 0.25},
        random_state=0,
    )
    save_particles(table, y, root / "train")
    return root / "train", y


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("benchmark", "train", "predict", "export", "generate"):
        assert command in out


def test_train_then_predict_round_trips(particle_folder, tmp_path, capsys):
    folder, y = particle_folder
    model = tmp_path / "model.lipnet"
    common = ["--epochs", "2", "--device", "cpu", "--seed", "0", "--quiet"]
    assert main(["train", "--data", str(folder), "--out", str(model), *common]) == 0
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    for out in (first, second):
        code = main(["predict", "--model", str(model), str(folder), "--out", str(out)])
        assert code == 0
    predictions = pd.read_csv(first)
    assert len(predictions) == len(y)  # one row per image
    proba = predictions[["p_empty", "p_full", "p_uncertain"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    pd.testing.assert_frame_equal(predictions, pd.read_csv(second))
    assert "predictions written" in capsys.readouterr().out
    # Each row is what the saved model says about that particle: every
    # p_<class> column is the model's probability of that class.
    loaded = load_model(model)
    table, _ = load_particles(folder)
    assert predictions["id"].astype(str).tolist() == table["id"].astype(str).tolist()
    expected = loaded.predict_proba(table)
    assert loaded.classes_.tolist() == ["empty", "full", "uncertain"]
    for k, label in enumerate(loaded.classes_):
        np.testing.assert_allclose(predictions[f"p_{label}"], expected[:, k], rtol=1e-9)
    assert np.ptp(expected, axis=1).min() > 1e-6  # columns that a swap would change
    np.testing.assert_array_equal(
        predictions["predicted"], loaded.classes_[expected.argmax(axis=1)]
    )


def test_predict_on_image_files_with_a_threshold(particle_folder, tmp_path):
    folder, _ = particle_folder
    model = tmp_path / "svm.lipnet"
    argv = ["train", "--data", str(folder), "--out", str(model), "--model", "svm"]
    assert main([*argv, "--quiet"]) == 0
    images = sorted(str(p) for p in folder.glob("*/*.png") if "_mask" not in p.name)
    out = tmp_path / "predictions.csv"
    argv = ["predict", "--model", str(model), *images[:8], "--out", str(out)]
    assert main([*argv, "--threshold", "0.9"]) == 0
    predictions = pd.read_csv(out)
    assert predictions["path"].tolist() == images[:8]
    proba = predictions.filter(like="p_")
    # The predicted class is always the most probable one, whatever the
    # threshold; "confident" says whether its probability reaches it.
    best = proba.idxmax(axis=1).str.removeprefix("p_")
    assert (predictions["predicted"] == best).all()
    assert (predictions["confident"] == (proba.max(axis=1) >= 0.9)).all()
    assert not predictions["confident"].all()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "--model", "missing.lipnet", "."], "No such file"),
        (["train", "--data", "no/such/folder", "--out", "m.lipnet"], "no/such/folder"),
        (["benchmark", "--folds", "1"], "--folds must be at least 2"),
        (["predict", "--model", "m", "x", "--threshold", "2"], "--threshold"),
    ],
)
def test_bad_arguments_give_one_line_and_a_nonzero_exit(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    assert code != 0
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("lipnet: error:")


def test_a_model_file_that_is_not_one(tmp_path, capsys):
    fake = tmp_path / "model.lipnet"
    fake.write_text("not a model")
    assert main(["predict", "--model", str(fake), str(tmp_path)]) == 2
    assert "is not an sklearn-lipnet model file" in capsys.readouterr().err


def test_generate_writes_the_folder_layout(tmp_path, capsys):
    out = tmp_path / "synthetic"
    assert main(["generate", str(out), "--n-samples", "12", "--seed", "1"]) == 0
    assert (out / "index.csv").exists()
    assert len(pd.read_csv(out / "index.csv")) == 12
    assert main(["generate", str(out), "--n-samples", "12"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["generate", str(out), "--n-samples", "12", "--overwrite"]) == 0


def test_benchmark_writes_a_report_of_its_own_numbers(tmp_path):
    out = tmp_path / "report"
    code = main(
        [
            "benchmark",
            "--problem",
            "lamellarity",
            "--n-samples",
            "60",
            "--folds",
            "2",
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    for name in (
        "report.md",
        "results.csv",
        "per_class_summary.csv",
        "confusion_matrices.json",
        "settings.json",
        "confusion_lamellarity.png",
        "per_class_lamellarity.png",
        "training_curves_lamellarity.png",
    ):
        assert (out / name).exists(), name
    # the report's confusion matrices are the ones the folds produced
    raw = json.loads((out / "confusion_matrices.json").read_text())
    folds = np.array(raw["lamellarity/LipNet-4"]["fold_confusion_matrices"])
    assert folds.shape == (2, 3, 3) and folds.sum() == 60
    results = pd.read_csv(out / "results.csv")
    tpr = results.query(
        "model == 'SVM' and measure == 'tpr' and `class` == 'unilamellar'"
    )["value"]
    svm = np.array(raw["lamellarity/SVM"]["fold_confusion_matrices"])
    expected = svm[:, 0, 0] / svm[:, 0, :].sum(axis=1)  # thesis order: uni first
    np.testing.assert_allclose(tpr, expected)
    report = (out / "report.md").read_text()
    assert "### LipNet-4" in report and "### SVM" in report
    assert "thesis" in report

"""``lipnet predict``'s options and the file it writes, with a small saved SVM."""

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_lipnet import load_model, make_svm_pipeline, save_model
from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles

CLASSES = ["empty", "full", "uncertain"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``(folder of labelled particles, image files, model file, no-proba file)``."""
    root = tmp_path_factory.mktemp("predict")
    table, y = make_liposomes(
        30,
        problem="encapsulation",
        weights={"full": 0.4, "empty": 0.3, "uncertain": 0.3},
        random_state=1,
    )
    save_particles(table, y, root / "particles")
    model, no_proba = root / "svm.lipnet", root / "no_proba.lipnet"
    save_model(make_svm_pipeline(probability=True, random_state=0).fit(table, y), model)
    save_model(make_svm_pipeline(random_state=0).fit(table, y), no_proba)
    images = sorted(
        str(p) for p in (root / "particles").glob("*/*.png") if "_mask" not in p.name
    )
    return root / "particles", images, model, no_proba


def _error(argv, capsys):
    """The exit status and stderr of ``lipnet`` given ``argv``."""
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    return code, capsys.readouterr().err


def test_without_out_it_writes_predictions_csv_in_the_working_folder(
    saved, tmp_path, monkeypatch, capsys
):
    folder, _, model, _ = saved
    monkeypatch.chdir(tmp_path)
    assert main(["predict", "--model", str(model), str(folder)]) == 0
    assert capsys.readouterr().out == "30 predictions written to predictions.csv\n"
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    # No "confident" column without --threshold; one p_ column per class,
    # in the order of the model's classes_.
    assert predictions.columns.tolist() == [
        "id",
        "path",
        "predicted",
        *(f"p_{c}" for c in CLASSES),
    ]
    # Each row is what the saved model says about that particle.
    table, _ = load_particles(folder)
    loaded = load_model(model)
    assert loaded.classes_.tolist() == CLASSES
    proba = loaded.predict_proba(table)
    assert np.ptp(proba, axis=1).min() > 1e-6  # columns that a swap would change
    assert predictions["id"].astype(str).tolist() == table["id"].astype(str).tolist()
    assert predictions["path"].tolist() == table["path"].tolist()
    np.testing.assert_allclose(predictions.filter(like="p_"), proba, rtol=1e-9)
    np.testing.assert_array_equal(
        predictions["predicted"], loaded.classes_[proba.argmax(axis=1)]
    )


def test_a_probability_equal_to_the_threshold_reaches_it(saved, tmp_path):
    folder, _, model, _ = saved
    table, _ = load_particles(folder)
    highest = load_model(model).predict_proba(table).max(axis=1)
    threshold = float(highest[0])
    assert 0 < threshold < 1
    out = tmp_path / "p.csv"
    for given, confident in [
        (threshold, True),
        (float(np.nextafter(threshold, 1)), False),
    ]:
        argv = ["predict", "--model", str(model), str(folder), "--out", str(out)]
        assert main([*argv, "--threshold", repr(given)]) == 0
        predictions = pd.read_csv(out)
        assert bool(predictions["confident"][0]) is confident
        np.testing.assert_array_equal(predictions["confident"], highest >= given)


def test_a_threshold_of_one_is_allowed_and_of_zero_refused(saved, tmp_path, capsys):
    folder, _, model, _ = saved
    argv = ["predict", "--model", str(model), str(folder), "--out", str(tmp_path / "p")]
    assert main([*argv, "--threshold", "1"]) == 0
    # Only a probability of exactly 1 would reach it.
    assert not pd.read_csv(tmp_path / "p")["confident"].any()
    for outside in ("0", "2"):
        code, err = _error([*argv, "--threshold", outside], capsys)
        assert code == 2 and "--threshold must be in (0, 1]" in err


def test_a_model_without_probabilities_is_refused(saved, tmp_path, capsys):
    folder, _, _, no_proba = saved
    out = tmp_path / "p.csv"
    argv = ["predict", "--model", str(no_proba), str(folder), "--out", str(out)]
    code, err = _error(argv, capsys)
    assert code == 2 and f"{no_proba} has no class probabilities" in err
    assert not out.exists()


def test_unreadable_images_are_skipped_only_when_asked(saved, tmp_path, capsys):
    _, images, model, _ = saved
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    out = tmp_path / "p.csv"
    argv = ["predict", "--model", str(model), images[0], str(bad), images[1]]
    argv += ["--out", str(out)]
    for stop in ([], ["--on-error", "raise"]):
        code, err = _error([*argv, *stop], capsys)
        assert code == 2 and "bad.png" in err and not out.exists()
    code, err = _error([*argv, "--on-error", "skip"], capsys)
    assert code == 0 and "bad.png" in err
    assert pd.read_csv(out)["path"].tolist() == [images[0], images[1]]


def test_an_index_without_ids_numbers_the_rows(saved, tmp_path):
    _, images, model, _ = saved
    index = tmp_path / "index.csv"
    pd.DataFrame({"image": images[:4]}).to_csv(index, index=False)
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(model), str(index), "--out", str(out)]) == 0
    predictions = pd.read_csv(out)
    assert predictions["id"].tolist() == [0, 1, 2, 3]
    assert predictions["path"].tolist() == images[:4]


def test_the_device_option_reaches_the_model(saved, tmp_path, capsys, monkeypatch):
    folder, _, model, _ = saved
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    argv = ["predict", "--model", str(model), str(folder), "--out", str(tmp_path / "p")]
    code, err = _error([*argv, "--device", "cuda"], capsys)
    assert code == 2 and "CUDA is not available" in err
    assert main([*argv, "--device", "cpu"]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "x.png"], "the following arguments are required: --model"),
        (["predict", "--model", "m.lipnet"], "IMAGES_OR_DIR"),
        (["predict", "--model", "m", "x", "--on-error", "ignore"], "'raise', 'skip'"),
    ],
    ids=["no_model", "no_inputs", "bad_on_error"],
)
def test_argument_errors_name_the_argument(argv, message, capsys):
    code, err = _error(argv, capsys)
    assert code == 2 and message in err


def test_help_names_every_option_and_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "classify particles with a trained model" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for text in (
        "--model MODEL model file from train",
        "IMAGES_OR_DIR [IMAGES_OR_DIR ...]",
        "--out OUT",
        "(default: predictions.csv)",
        "--threshold THRESHOLD",
        "--on-error {raise,skip}",
        "(default: raise)",
        "--device DEVICE",
        "(default: auto)",
    ):
        assert text in out

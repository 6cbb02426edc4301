"""Hybrid, stacking and fixed-scale models on the command line."""

import argparse
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import StackingClassifier

from sklearn_lipnet import load_model
from sklearn_lipnet.cli import main
from sklearn_lipnet.cli._common import (
    add_model_options,
    build_model,
    display_name,
    model_names,
    resolve_model_options,
)
from sklearn_lipnet.cli._train import train_preset
from sklearn_lipnet.datasets import make_liposomes, save_particles
from sklearn_lipnet.neural_network import ARCHITECTURES


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
    return root / "train"


def _options(*argv):
    parser = argparse.ArgumentParser()
    preset = train_preset()
    add_model_options(parser, defaults={**dataclasses.asdict(preset), "jobs": 1})
    return resolve_model_options(parser.parse_args(list(argv)), preset)


def test_every_model_name_builds_the_model_it_names():
    args = _options("--canvas-size", "48", "--canvas-nm", "300", "--seed", "3")
    names = model_names()
    assert {"hybrid", "stacking", "svm", "lipnet4c-fixed"} <= set(names)
    assert all(f"{name}-fixed" in names for name in ARCHITECTURES)
    hybrid = build_model("hybrid", args)
    assert hybrid.named_steps["hybrid"].n_image_features == 28 * 28
    fixed = build_model("lipnet4c-fixed", args)
    preprocessor = fixed.named_steps["preprocessor"]
    assert (preprocessor.scale, preprocessor.size, preprocessor.canvas_nm) == (
        "fixed",
        48,
        300.0,
    )
    assert fixed.named_steps["lipnet"].get_params()["module__input_size"] == 48
    stacking = build_model("stacking", args)
    assert isinstance(stacking, StackingClassifier)
    assert stacking.estimators[0][1].named_steps["lipnet"].random_state == 3
    assert build_model("lipnet4", args).named_steps["preprocessor"].scale == "fit"
    assert [display_name(n) for n in ("lipnet4c-fixed", "lipnet6", "svm")] == [
        "LipNet-4c fixed scale",
        "LipNet-6",
        "SVM",
    ]
    assert len({display_name(name) for name in names}) == len(names)


@pytest.mark.parametrize("model", ["hybrid", "stacking"])
def test_train_then_predict_with_a_combined_model(particle_folder, tmp_path, model):
    path = tmp_path / f"{model}.lipnet"
    common = ["--epochs", "1", "--device", "cpu", "--seed", "0", "--quiet"]
    argv = ["train", "--data", str(particle_folder), "--out", str(path)]
    assert main([*argv, "--model", model, *common]) == 0
    out = tmp_path / "predictions.csv"
    assert (
        main(["predict", "--model", str(path), str(particle_folder), "--out", str(out)])
        == 0
    )
    predictions = pd.read_csv(out)
    assert len(predictions) == 48
    proba = predictions[["p_empty", "p_full", "p_uncertain"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_benchmark_compares_the_hybrid_and_a_fixed_scale_network(tmp_path):
    out = tmp_path / "report"
    argv = ["benchmark", "--problem", "lamellarity", "--n-samples", "60"]
    argv += ["--folds", "2", "--epochs", "1", "--device", "cpu", "--quiet"]
    argv += ["--models", "hybrid", "lipnet4c-fixed", "--canvas-size", "40"]
    assert main([*argv, "--out", str(out)]) == 0
    raw = json.loads((out / "confusion_matrices.json").read_text())
    for name in ("Hybrid (LipNet-4 + features)", "LipNet-4c fixed scale"):
        folds = np.array(raw[f"lamellarity/{name}"]["fold_confusion_matrices"])
        assert folds.shape == (2, 3, 3) and folds.sum() == 60
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert (
        settings["fixed-scale canvas"] == "40 px, the largest training particle's side"
    )


def test_train_picks_the_hybrid_where_masks_are_missing(tmp_path, capsys):
    note = "these particles have no expert masks"
    table, y = make_liposomes(24, problem="encapsulation", random_state=1)
    for masks, expected_first_step in ((True, "preprocessor"), (False, "union")):
        folder = tmp_path / f"masks-{masks}"
        save_particles(table if masks else table.drop(columns="mask"), y, folder)
        argv = ["train", "--data", str(folder), "--out", str(folder / "m.lipnet")]
        assert main([*argv, "--epochs", "1", "--device", "cpu"]) == 0
        out = capsys.readouterr().out
        assert "--model auto: " in out
        assert load_model(folder / "m.lipnet").steps[0][0] == expected_first_step
        assert note not in out  # the hybrid needs no advice to use itself
    # Asked for the network alone on maskless particles, train says what
    # did better.
    argv = ["train", "--data", str(folder), "--out", str(tmp_path / "n.lipnet")]
    assert main([*argv, "--model", "lipnet4", "--epochs", "1", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert note in out and "--model hybrid" in out
    assert load_model(tmp_path / "n.lipnet").steps[0][0] == "preprocessor"


def test_auto_keeps_the_network_where_cut_outs_are_too_small_to_segment():
    from sklearn_lipnet.cli._common import choose_model

    table, _ = make_liposomes(4, random_state=0)
    assert choose_model(table)[0] == "lipnet4"  # every particle has a mask
    table = table.drop(columns="mask")
    assert choose_model(table)[0] == "hybrid"
    table.at[2, "image"] = np.zeros((6, 7), dtype=np.uint8)
    model, reason = choose_model(table)
    assert model == "lipnet4" and "1 particle(s)" in reason and "8 x 8" in reason


def test_benchmark_on_a_maskless_folder_compares_the_hybrid_by_default(
    tmp_path, capsys
):
    table, y = make_liposomes(30, weights=[1, 1, 1], random_state=2)
    folder = tmp_path / "maskless"
    save_particles(table.drop(columns="mask"), y, folder)
    out = tmp_path / "report"
    argv = ["benchmark", "--data", str(folder), "--folds", "2", "--epochs", "1"]
    assert main([*argv, "--device", "cpu", "--out", str(out)]) == 0
    assert (
        "--models auto: 30 of 30 particles have no expert mask"
        in capsys.readouterr().out
    )
    raw = json.loads((out / "confusion_matrices.json").read_text())
    assert {name.split("/")[1] for name in raw} == {
        "Hybrid (LipNet-4 + features)",
        "SVM",
    }
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["models"] == "Hybrid (LipNet-4 + features), SVM"
    # The report explains the hybrid like the SVM: its image is one more bar.
    figures = {path.name for path in out.glob("feature_importance_*.png")}
    assert figures == {
        "feature_importance_maskless_hybrid_lipnet4_features.png",
        "feature_importance_maskless_svm.png",
    }


def test_auto_on_cut_outs_too_small_for_the_hybrid_gives_no_contrary_advice(
    tmp_path, capsys
):
    table, y = make_liposomes(12, weights=[1, 1, 1], random_state=3)
    table = table.drop(columns="mask")
    table.at[0, "image"] = table["image"][0][:6, :6]
    folder = tmp_path / "tiny"
    save_particles(table, y, folder)
    argv = ["train", "--data", str(folder), "--out", str(tmp_path / "m.lipnet")]
    assert main([*argv, "--epochs", "1", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "smaller than 8 x 8 pixels" in out and "Training LipNet-4" in out
    assert "these particles have no expert masks" not in out

"""``lipnet explain``: the figures of a saved model, run in-process."""

import pytest

from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import make_liposomes, save_particles

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    table, y = make_liposomes(
        30, problem="encapsulation", weights=[1, 1, 1], random_state=0
    )
    save_particles(table, y, root / "particles")
    common = ["--epochs", "1", "--device", "cpu", "--seed", "0", "--quiet"]
    for model in ("lipnet2", "svm"):
        argv = ["train", "--data", str(root / "particles"), "--model", model]
        assert main([*argv, "--out", str(root / f"{model}.lipnet"), *common]) == 0
    return root


def test_explain_is_a_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "explain" in capsys.readouterr().out


def _pngs(folder):
    return sorted(p.name for p in folder.iterdir() if p.read_bytes()[:8] == PNG)


def test_a_lipnet_on_labelled_particles_gets_every_figure(trained, tmp_path, capsys):
    out = tmp_path / "figures"
    argv = ["explain", "--model", str(trained / "lipnet2.lipnet")]
    argv += [str(trained / "particles"), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert _pngs(out) == [
        "activations.png",
        "embedding.png",
        "filters.png",
        "misclassified.png",
        "saliency.png",
    ]
    assert sorted(p.name for p in out.iterdir()) == _pngs(out)  # no leftovers
    assert capsys.readouterr().out.count("wrote ") == 5


def test_unlabelled_image_files_get_the_network_figures(trained, tmp_path, capsys):
    images = sorted(
        str(p) for p in (trained / "particles").glob("*/*.png") if "_mask" not in p.name
    )[:3]
    out = tmp_path / "figures"
    argv = ["explain", "--model", str(trained / "lipnet2.lipnet"), *images]
    argv += ["--out", str(out), "--methods", "gradient", "gradcam"]
    with pytest.warns(UserWarning, match="segmented automatically"):
        assert main(argv) == 0  # image files come without their masks
    assert _pngs(out) == ["activations.png", "filters.png", "saliency.png"]
    assert "have no labels" in capsys.readouterr().out


def test_the_svm_is_explained_by_its_feature_families(trained, tmp_path):
    out = tmp_path / "figures"
    argv = ["explain", "--model", str(trained / "svm.lipnet")]
    argv += [str(trained / "particles"), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert _pngs(out) == ["feature_importance.png", "misclassified.png"]


def test_the_svm_needs_labels(trained, tmp_path, capsys):
    image = next(p for p in (trained / "particles").glob("*/*.png"))
    argv = ["explain", "--model", str(trained / "svm.lipnet"), str(image)]
    assert main([*argv, "--out", str(tmp_path / "figures")]) == 2
    assert "needs labelled particles" in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()


def test_missing_inputs_are_named(trained, tmp_path, capsys):
    argv = ["explain", "--model", str(trained / "lipnet2.lipnet"), "no/such.png"]
    assert main([*argv, "--out", str(tmp_path / "figures")]) == 2
    assert "No such file or folder: no/such.png" in capsys.readouterr().err


def test_a_hybrid_is_explained_by_its_image_and_feature_families(
    trained, tmp_path, capsys
):
    model = tmp_path / "hybrid.lipnet"
    argv = ["train", "--data", str(trained / "particles"), "--model", "hybrid"]
    common = ["--epochs", "1", "--device", "cpu", "--seed", "0", "--quiet"]
    assert main([*argv, "--out", str(model), *common]) == 0
    capsys.readouterr()
    out = tmp_path / "figures"
    argv = ["explain", "--model", str(model), str(trained / "particles")]
    assert main([*argv, "--out", str(out)]) == 0
    assert _pngs(out) == ["feature_importance.png", "misclassified.png"]
    assert "the 'images' bar" in capsys.readouterr().out
    # Without labels there is nothing a hybrid can be explained by.
    image = next(p for p in (trained / "particles").glob("*/*.png"))
    argv = ["explain", "--model", str(model), str(image)]
    assert main([*argv, "--out", str(tmp_path / "none")]) == 2
    assert "A hybrid network is explained" in capsys.readouterr().err


def test_a_network_on_features_alone_is_not_called_a_hybrid(trained, tmp_path, capsys):
    from sklearn.pipeline import make_pipeline

    from sklearn_lipnet import LipNetClassifier, ParticleFeatures, save_model

    table, y = make_liposomes(
        30, problem="encapsulation", weights=[1, 1, 1], random_state=0
    )
    model = make_pipeline(
        ParticleFeatures(["area", "histogram"]),
        LipNetClassifier(max_epochs=1, device="cpu", random_state=0),
    ).fit(table, y)
    save_model(model, tmp_path / "features.lipnet")
    argv = ["explain", "--model", str(tmp_path / "features.lipnet")]
    argv += [str(trained / "particles"), "--out", str(tmp_path / "figures")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "feature_importance.png" in out and "hybrid" not in out

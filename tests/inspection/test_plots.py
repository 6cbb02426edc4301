"""The figures: filters, feature maps, saliency, embeddings, misclassified."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from sklearn_lipnet import LipNetClassifier, make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.inspection import (
    embed,
    make_spot_images,
    plot_activations,
    plot_embedding,
    plot_filters,
    plot_misclassified,
    plot_saliency,
    saliency_maps,
)
from sklearn_lipnet.inspection._figure import save_figure
from sklearn_lipnet.inspection._misclassified import worst_misclassified

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def spots():
    X, y, _ = make_spot_images(80, random_state=0)
    clf = LipNetClassifier(
        "lipnet4", max_epochs=2, augment=False, device="cpu", random_state=0
    ).fit(X, y)
    return clf, X, y


@pytest.fixture(scope="module")
def liposomes():
    table, y = make_liposomes(36, weights=[1, 1, 1], random_state=0)
    pipeline = make_lipnet_pipeline(
        "lipnet1", max_epochs=1, device="cpu", random_state=0
    ).fit(table, y)
    return pipeline, table, y


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    plt.close("all")
    yield
    # every function builds its own Figure; none appears in pyplot's state
    assert plt.get_fignums() == []


def _images(ax):
    return [image.get_array() for image in ax.get_images()]


def test_filters_are_the_first_layers_kernels_on_a_zero_centred_scale(spots):
    clf, *_ = spots
    figure = plot_filters(clf)
    assert isinstance(figure, Figure)
    weights = clf.module_.features[0].weight.detach().numpy()
    image = figure.axes[0].get_images()[0]  # figure.axes[1] is the colour bar
    mosaic = image.get_array()
    # 32 kernels of 3 x 3, eight to a row, one blank pixel between them
    assert mosaic.shape == (4 * 4 - 1, 8 * 4 - 1)
    np.testing.assert_allclose(mosaic[4:7, 20:23], weights[13, 0])  # row 1, col 5
    blank = np.ma.getmaskarray(mosaic)  # the gaps are NaN, drawn blank
    assert blank[3].all() and blank[:, 3].all() and not blank[:3, :3].any()
    limit = np.abs(weights).max()
    np.testing.assert_allclose(image.get_clim(), (-limit, limit), rtol=1e-6)
    assert image.get_cmap().name == "seismic"
    assert [t.get_text() for t in figure.axes[0].texts] == [str(k) for k in range(32)]


def test_filters_of_a_deeper_layer_tile_one_kernel_per_input_channel(spots):
    clf, *_ = spots
    figure = plot_filters(clf, layer=-1, max_filters=4)
    mosaic = figure.axes[0].get_images()[0].get_array()
    weights = clf.module_.features[8].weight.detach().numpy()  # LipNet-4's 4th
    # 4 filters to a row, 3 blank pixels apart; each 32 kernels in 4 x 8 tiles
    filter_height, filter_width = 4 * 4 - 1, 8 * 4 - 1
    assert mosaic.shape == (filter_height, 4 * (filter_width + 3) - 3)
    left = 2 * (filter_width + 3)  # filter 2
    np.testing.assert_allclose(mosaic[4:7, left + 8 : left + 11], weights[2, 10])
    assert "first 4 shown" in figure.axes[0].get_title()
    with pytest.raises(ValueError, match="out of range.*4 convolutional"):
        plot_filters(clf, layer=4)


def test_activations_show_what_each_layer_computes(spots):
    clf, X, _ = spots
    figure = plot_activations(clf, X[3])
    assert len(figure.axes) == 1 + 4  # the input and LipNet-4's four layers
    network = clf.module_.eval()
    with torch.no_grad():
        first = F.relu(network.features[0](clf._network_input(X[3:4])))[0]
    mosaic = figure.axes[1].get_images()[0].get_array()
    assert mosaic.shape == (2 * 29 - 1, 16 * 29 - 1)  # 32 maps of 28 x 28
    np.testing.assert_allclose(mosaic[29:57, 29:57], first[17].numpy(), rtol=1e-5)
    chosen = plot_activations(clf, X[3:4], layers=[0, -1], max_channels=8)
    assert len(chosen.axes) == 3
    last = chosen.axes[2]
    assert last.get_images()[0].get_array().shape == (14, 8 * 15 - 1)
    assert last.get_title().startswith("Layer 3 (features.8): 32 channels")
    assert "first 8 shown" in last.get_title()


def test_activations_need_exactly_one_particle(spots):
    clf, X, _ = spots
    with pytest.raises(ValueError, match="exactly one particle.*got 2"):
        plot_activations(clf, X[:2])


def _cell(mosaic, row, column, side=112, gap=7):
    """One panel of plot_saliency's mosaic (28 x 28 images shown 4x)."""
    top, left = row * (side + gap), column * (side + gap)
    return mosaic[top : top + side, left : left + side]


def test_saliency_overlays_each_method_on_each_particle(spots):
    clf, X, y = spots
    figure = plot_saliency(clf, X[:3], "all", y=y[:3], n_steps=4)
    (ax,) = figure.axes
    texts = [text.get_text() for text in ax.texts]
    assert texts[:7] == [
        "particle",
        "gradient",
        "deconvnet",
        "guided backprop",
        "Grad-CAM",
        "HiResCAM",
        "integrated gradients",
    ]
    assert texts[7].startswith(f"true {y[0]}\npred ")
    mosaic = ax.get_images()[0].get_array()
    assert mosaic.shape == (3 * 119 - 7, 7 * 119 - 7, 3)
    # the first column is the particle in grey; the maps are blended over it:
    # where a map is zero the particle shows unchanged, where it is strongest
    # the pixel turns red
    particle = _cell(mosaic, 1, 0)
    np.testing.assert_allclose(particle[..., 0], particle[..., 2])
    maps = saliency_maps(clf, X[1:2], method="gradient")[0]
    overlay = _cell(mosaic, 1, 1)
    strongest = np.unravel_index(maps.argmax(), maps.shape)
    weakest = np.unravel_index(maps.argmin(), maps.shape)
    r, c = (4 * i + 2 for i in strongest)
    assert overlay[r, c, 0] - overlay[r, c, 2] > 0.5
    r, c = (4 * i + 2 for i in weakest)
    np.testing.assert_allclose(overlay[r, c], particle[r, c])


def test_saliency_figures_refuse_what_they_cannot_draw(spots):
    clf, X, _ = spots
    with pytest.raises(ValueError, match="Unknown saliency method"):
        plot_saliency(clf, X[:2], ["gradient", "occlusion"])
    with pytest.raises(ValueError, match="at most 40"):
        plot_saliency(clf, X[:41])


def test_saliency_of_a_pipeline_shows_its_cut_outs(liposomes):
    pipeline, table, _ = liposomes
    figure = plot_saliency(pipeline, table[:2], "gradcam", target="multilamellar")
    (ax,) = figure.axes
    mosaic = ax.get_images()[0].get_array()
    cut_out = pipeline[0].transform(table[:1]).reshape(28, 28)
    low, high = np.percentile(cut_out, [1, 99])
    grey = np.clip((cut_out - low) / (high - low), 0, 1)
    np.testing.assert_allclose(
        _cell(mosaic, 0, 0)[::4, ::4, 0], grey, rtol=1e-6, atol=1e-6
    )
    assert [t.get_text() for t in ax.texts][:2] == ["particle", "Grad-CAM"]
    assert ax.texts[2].get_text().endswith("\nmaps for multilamellar")


def test_embedding_is_the_hidden_layer_and_marks_the_errors(spots):
    clf, X, y = spots
    features = embed(clf, X)
    assert features.shape == (80, 128) and (features >= 0).all()
    figure = plot_embedding(clf, X, y, random_state=0)
    ax = figure.axes[0]
    wrong = (clf.predict(X) != y).sum()
    collections = ax.collections
    per_class = [len(c.get_offsets()) for c in collections[:2]]
    assert per_class == [40, 40]
    if wrong:
        assert len(collections[2].get_offsets()) == wrong
    assert "PCA" in ax.get_title()
    figure = plot_embedding(clf, X, y, method="tsne", random_state=0)
    assert "t-SNE" in figure.axes[0].get_title()
    with pytest.raises(ValueError, match="method must be one of"):
        plot_embedding(clf, X, y, method="umap")
    with pytest.raises(ValueError, match="one label per sample"):
        plot_embedding(clf, X, y[:-1])


def test_the_worst_misclassified_come_first():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55], [0.3, 0.7]])
    y = np.array(["a", "a", "b", "b", "a"])
    # wrong: 1 (p(a) = 0.2), 2 (p(b) = 0.4), 4 (p(a) = 0.3); 3 is right
    assert worst_misclassified(proba, np.array(["a", "b"]), y).tolist() == [1, 4, 2]
    # a label the model does not know has probability 0
    unknown = np.array(["a", "a", "b", "c", "a"])
    assert worst_misclassified(proba, np.array(["a", "b"]), unknown)[0] == 3


def test_misclassified_gallery_shows_the_cut_outs_with_their_names(liposomes):
    pipeline, table, y = liposomes
    figure = plot_misclassified(pipeline, table, y, n=4)
    proba = pipeline.predict_proba(table)
    worst = worst_misclassified(proba, pipeline.classes_, y)
    assert len(worst) > 0  # one epoch of LipNet-1 leaves errors
    panels = [ax for ax in figure.axes if ax.get_images()]
    assert len(panels) == min(4, len(worst))
    first = worst[0]
    np.testing.assert_array_equal(_images(panels[0])[0], table["image"][first])
    title = panels[0].get_title()
    assert title.startswith(f"true {y[first]} ")
    assert table["id"][first] in title
    assert f"of {len(y)} particles misclassified" in figure._suptitle.get_text()


def test_misclassified_without_errors_says_so(spots):
    clf, X, y = spots
    right = clf.predict(X) == y
    figure = plot_misclassified(clf, X[right][:5], y[right][:5])
    assert "No misclassified particles among 5" in figure.texts[0].get_text()


def test_misclassified_needs_probabilities(liposomes):
    _, table, y = liposomes
    svm = make_svm_pipeline().fit(table, y)
    with pytest.raises(TypeError, match="probability=True"):
        plot_misclassified(svm, table, y)


def test_figures_are_written_whole(tmp_path, spots):
    clf, *_ = spots
    path = save_figure(plot_filters(clf), tmp_path / "filters.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["filters.png"]
    with pytest.raises(FileNotFoundError):
        save_figure(plot_filters(clf), tmp_path / "missing" / "filters.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["filters.png"]


def test_embedding_works_for_a_feature_vector_classifier():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 5)))
    y = np.array([0, 1] * 15)
    clf = LipNetClassifier(max_epochs=1, device="cpu", random_state=0).fit(X, y)
    assert embed(clf, X).shape == (30, 128)

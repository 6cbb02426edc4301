"""The progress line of long cross-validations, and where its counts come from."""

import io

import numpy as np
from sklearn.svm import SVC

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.experiments import Progress, compare_models, work_units

from .._synthetic import discs_and_rings


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_time_left_follows_the_share_of_work_done(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("time.perf_counter", lambda: now[0])
    stream = io.StringIO()
    progress = Progress(4, stream=stream, every_seconds=0)
    progress.context = "lamellarity"
    now[0] = 10.0
    progress.describe("LipNet-4")
    now[0] = 40.0
    progress.advance(1)  # a quarter done in 40 s: 120 s left
    assert "[lamellarity] LipNet-4" in stream.getvalue()
    assert progress.line().endswith("25 %  0:40 elapsed, about 2:00 left")


def test_a_terminal_line_is_redrawn_and_ends_with_a_newline():
    stream = Terminal()
    progress = Progress(2, stream=stream)
    progress.advance(1)
    progress.advance(5)  # never beyond the total
    assert progress.done == 2
    assert stream.getvalue().count("\r") == 2
    assert stream.getvalue().endswith("100 %  0:00 elapsed\n")


def test_compare_models_counts_every_epoch_and_every_fold_once():
    X, y = discs_and_rings(60)
    models = {
        "net": LipNetClassifier(
            max_epochs=3,
            train_split=0.25,
            patience=1,  # early stopping: saved epochs still count
            random_state=0,
            module__conv_channels=4,
        ),
        "svc": SVC(),
    }
    assert work_units(models, 2) == 2 * 3 + 2
    progress = Progress(work_units(models, 2), stream=io.StringIO())
    results = compare_models(X, y, models, cv=2, log=lambda _: None, progress=progress)
    assert progress.done == progress.total == 8
    # The caller's estimators are not changed by the counting.
    assert models["net"].callbacks is None
    assert all(len(h) <= 3 for h in results["net"].histories)
    assert np.isfinite(results["svc"].cv.report["tpr"]).all()


def test_a_network_whose_epochs_the_data_decide_counts_its_folds(monkeypatch):
    from sklearn_lipnet.neural_network import _training_length

    monkeypatch.setattr(_training_length, "AUTO_MIN_EPOCHS", 2)
    monkeypatch.setattr(_training_length, "AUTO_MIN_UPDATES", 4)
    X, y = discs_and_rings(40)
    models = {"net": LipNetClassifier(random_state=0, module__conv_channels=4)}
    assert models["net"].max_epochs == "auto"
    assert work_units(models, 2) == 2
    progress = Progress(work_units(models, 2), stream=io.StringIO())
    results = compare_models(X, y, models, cv=2, log=lambda _: None, progress=progress)
    assert progress.done == progress.total == 2
    # 20 training images: one batch per epoch, so four epochs make 4 updates.
    assert [len(h) for h in results["net"].histories] == [4, 4]

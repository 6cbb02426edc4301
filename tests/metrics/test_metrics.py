import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_validate

from sklearn_lipnet.metrics import (
    confusion_matrix_frame,
    cross_validate_per_class,
    per_class_report,
    per_class_report_from_confusion,
    per_class_scoring,
)

LAMELLARITY = ["unilamellar", "multilamellar", "uncertain"]
#: Thesis table 9: LipNet-4, lamellarity, 5-fold average confusion matrix.
TABLE_9 = [[2325, 15, 124], [4, 323, 16], [2, 3, 11]]
#: Thesis table 10: LipNet-4, encapsulation.
TABLE_10 = [[20, 1, 12], [116, 4201, 534], [22, 16, 63]]


def test_table_9_by_hand():
    report = per_class_report_from_confusion(TABLE_9, LAMELLARITY)
    uncertain = report.loc["uncertain"]
    assert uncertain["ppv"] == pytest.approx(11 / (124 + 16 + 11))
    assert uncertain["tpr"] == pytest.approx(11 / (2 + 3 + 11))
    negatives = 2325 + 15 + 4 + 323
    assert uncertain["tnr"] == pytest.approx(negatives / (negatives + 124 + 16))
    assert uncertain["npv"] == pytest.approx(negatives / (negatives + 2 + 3))
    ppv, tpr = 11 / 151, 11 / 16
    assert uncertain["f1"] == pytest.approx(2 * ppv * tpr / (ppv + tpr))
    assert uncertain["support"] == 16
    # "The CNN's negative predicted value is 0.7" for unilamellar (section 9)
    assert report.loc["unilamellar", "npv"] == pytest.approx(
        (323 + 16 + 3 + 11) / (323 + 16 + 3 + 11 + 15 + 124)
    )
    assert round(report.loc["unilamellar", "npv"], 1) == 0.7
    assert report.loc["multilamellar", "ppv"] == pytest.approx(323 / (15 + 323 + 3))


def test_table_10_full_class_precision_is_almost_one():
    report = per_class_report_from_confusion(
        TABLE_10, ["empty", "full", "uncertain"], warn_support=False
    )
    # "the positive predicted value ... for the full class is almost 1"
    assert report.loc["full", "ppv"] == pytest.approx(4201 / (1 + 4201 + 16))
    # "approximately 15 % of the positive empty predictions ... are correct"
    assert report.loc["empty", "ppv"] == pytest.approx(20 / 158)
    assert report.loc["uncertain", "ppv"] == pytest.approx(63 / 609)


def test_labels_and_confusion_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.choice(["a", "b", "c"], size=300, p=[0.7, 0.2, 0.1])
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.choice(["a", "b", "c"], 300))
    report = per_class_report(y_true, y_pred)
    assert report.index.tolist() == ["a", "b", "c"]
    assert list(report.columns) == ["tpr", "tnr", "ppv", "npv", "f1", "support"]
    np.testing.assert_allclose(
        report["tpr"], recall_score(y_true, y_pred, average=None)
    )
    np.testing.assert_allclose(
        report["ppv"], precision_score(y_true, y_pred, average=None)
    )
    np.testing.assert_allclose(report["f1"], f1_score(y_true, y_pred, average=None))
    pd.testing.assert_frame_equal(
        report,
        per_class_report_from_confusion(
            confusion_matrix(y_true, y_pred), ["a", "b", "c"]
        ),
    )


def test_labels_choose_and_order_the_rows():
    report = per_class_report(
        [1, 2, 2, 3], [1, 2, 3, 3], labels=[3, 1], warn_support=False
    )
    assert report.index.tolist() == [3, 1]
    assert report.loc[3, "tpr"] == 1.0 and report.loc[3, "ppv"] == 0.5


def test_never_predicted_class_has_undefined_precision():
    y_true, y_pred = ["a", "a", "b"], ["a", "a", "a"]
    with pytest.warns(UndefinedMetricWarning, match="PPV .* class 'b'"):
        with pytest.warns(UndefinedMetricWarning, match="NPV .* class 'a'"):
            report = per_class_report(y_true, y_pred, warn_support=False)
    assert report.loc["b", "ppv"] == 0.0
    nan_report = per_class_report(
        y_true, y_pred, zero_division=np.nan, warn_support=False
    )
    assert np.isnan(nan_report.loc["b", "ppv"])


def test_scarce_classes_are_flagged():
    with pytest.warns(UserWarning, match=r"Few true samples for class 'b' \(2\)"):
        per_class_report(["a"] * 20 + ["b"] * 2, ["a"] * 22, zero_division=0.0)


@pytest.mark.parametrize(
    "matrix, labels, match",
    [
        ([[1, 2, 3]], None, "square"),
        ([[1, -1], [0, 2]], None, "non-negative"),
        ([[1, 0], [0, 1]], ["a", "b", "c"], "3 labels"),
    ],
)
def test_bad_confusion_matrices(matrix, labels, match):
    with pytest.raises(ValueError, match=match):
        per_class_report_from_confusion(matrix, labels)


def test_confusion_matrix_frame():
    raw = confusion_matrix_frame(["x", "x", "y", "y"], ["x", "y", "y", "y"])
    assert raw.loc["x", "y"] == 1 and raw.loc["y", "y"] == 2
    assert raw.index.name == "true" and raw.columns.name == "predicted"
    normalized = confusion_matrix_frame(
        ["x", "x", "y", "y"], ["x", "y", "y", "y"], normalize="true"
    )
    np.testing.assert_allclose(normalized.sum(axis=1), 1)
    assert normalized.loc["x", "x"] == 0.5
    with pytest.raises(ValueError, match="normalize"):
        confusion_matrix_frame([1], [1], normalize="all")


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(
        n_samples=300,
        n_classes=3,
        n_informative=4,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )
    return X, np.array(["big", "mid", "small"])[y]


def test_cross_validation_keeps_every_fold(three_classes):
    X, y = three_classes
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    result = cross_validate_per_class(LogisticRegression(), X, y, cv=cv)
    assert result.fold_confusion_matrices.shape == (5, 3, 3)
    # the folds together are exactly cross_val_predict's confusion matrix
    pooled = confusion_matrix(y, cross_val_predict(LogisticRegression(), X, y, cv=cv))
    np.testing.assert_array_equal(result.fold_confusion_matrices.sum(axis=0), pooled)
    np.testing.assert_allclose(result.confusion_matrix.to_numpy(), pooled / 5)
    np.testing.assert_allclose(result.normalized_confusion_matrix.sum(axis=1), 1)
    folds = np.stack([r.to_numpy() for r in result.fold_reports])
    # a fold where "small" is never predicted has no PPV: left out, not 0
    assert np.isnan(folds).any()
    np.testing.assert_allclose(result.report.to_numpy(), np.nanmean(folds, axis=0))
    np.testing.assert_allclose(result.report_std.to_numpy(), np.nanstd(folds, axis=0))
    assert result.report.index.tolist() == ["big", "mid", "small"]
    assert len(result.fit_time) == 5


def test_per_class_scoring_in_cross_validate(three_classes):
    X, y = three_classes
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_validate(
        LogisticRegression(), X, y, cv=cv, scoring=per_class_scoring(["small"])
    )
    expected = cross_validate_per_class(LogisticRegression(), X, y, cv=cv)
    fold_tpr = [report.loc["small", "tpr"] for report in expected.fold_reports]
    np.testing.assert_allclose(scores["test_tpr_small"], fold_tpr)
    with pytest.raises(ValueError, match="Unknown measures"):
        per_class_scoring(["small"], measures=["accuracy"])


def test_a_fold_without_a_class_does_not_dilute_its_row():
    from sklearn_lipnet.metrics import CrossValidationReport

    folds = np.array(
        [
            [[8, 2], [1, 1]],  # class "b" present: its row is [0.5, 0.5]
            [[9, 1], [0, 0]],  # class "b" absent from this test fold
        ]
    )
    result = CrossValidationReport(
        labels=np.array(["a", "b"]), fold_confusion_matrices=folds
    )
    np.testing.assert_allclose(
        result.normalized_confusion_matrix.to_numpy(), [[0.85, 0.15], [0.5, 0.5]]
    )
    assert result.report.loc["b", "tpr"] == 0.5  # the empty fold has no TPR


def test_warnings_point_at_the_callers_line():
    with pytest.warns(UserWarning, match="Few true samples") as record:
        per_class_report(["a"] * 20 + ["b"] * 2, ["a"] * 20 + ["b"] * 2)
    with pytest.warns(UndefinedMetricWarning) as undefined:
        per_class_report_from_confusion(
            [[2, 0], [0, 0]], ["a", "b"], warn_support=False
        )
    for warning in [*record, *undefined]:
        assert warning.filename == __file__


def test_every_undefined_measure_is_named_with_its_classes():
    # Only "a" occurs: "b" and "c" have no TPR, PPV or F1, and "a" has no
    # negatives, so no TNR or NPV.
    with pytest.warns(UndefinedMetricWarning) as record:
        report = per_class_report(
            ["a"] * 3, ["a"] * 3, labels=["a", "b", "c"], warn_support=False
        )
    messages = [str(w.message) for w in record]
    for measure, classes in [
        ("TPR (recall)", "'b', 'c'"),
        ("TNR (specificity)", "'a'"),
        ("PPV (precision)", "'b', 'c'"),
        ("NPV", "'a'"),
        ("F1", "'b', 'c'"),
    ]:
        expected = (
            f"{measure} is undefined (0/0) for class {classes}; set to 0.0. "
            "Use zero_division to choose another value."
        )
        assert expected in messages
    assert report.loc[["b", "c"], ["tpr", "ppv", "f1"]].eq(0.0).all(axis=None)
    assert report.loc["a", "tnr"] == 0.0 and report.loc["a", "tpr"] == 1.0


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_zero_division_fills_undefined_measures_quietly(zero_division):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0/0 either
        report = per_class_report(
            ["a"] * 3,
            ["a"] * 3,
            labels=["a", "b"],
            zero_division=zero_division,
            warn_support=False,
        )
    assert report.loc["b", "ppv"] == zero_division
    assert report.loc["a", "npv"] == zero_division
    assert report.loc["a", "ppv"] == 1.0


def test_from_confusion_warns_and_gives_zero_by_default():
    with pytest.warns(UndefinedMetricWarning, match="PPV .* class 'b'"):
        report = per_class_report_from_confusion(
            [[20, 0, 1], [12, 0, 2], [1, 0, 5]], ["a", "b", "c"], warn_support=False
        )
    assert report.loc["b", "ppv"] == 0.0


def test_support_of_ten_is_reliable_and_of_nine_is_not():
    y = ["a"] * 20 + ["b"] * 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        per_class_report(y, y)
    with pytest.warns(UserWarning) as record:
        per_class_report(y[:-1], y[:-1])
    assert str(record[0].message) == (
        "Few true samples for class 'b' (9): the measures of classes with fewer "
        "than 10 samples are unreliable; pool more folds or label more particles."
    )
    with pytest.warns(UserWarning, match=r"class 'b' \(2\), 'c' \(3\):"):
        per_class_report(
            ["a"] * 20 + ["b"] * 2 + ["c"] * 3, ["a"] * 25, zero_division=0
        )


def test_classes_only_predicted_get_a_row():
    # "z" is never true, only (wrongly) predicted: its false positives count.
    report = per_class_report(
        ["a", "a", "b", "b"], ["a", "z", "b", "b"], warn_support=False, zero_division=0
    )
    assert report.index.tolist() == ["a", "b", "z"]
    assert report.loc["a", "tpr"] == 0.5
    assert report.loc["z", "support"] == 0 and report.loc["z", "tnr"] == 0.75


def test_confusion_matrix_frame_labels():
    y_true, y_pred = ["x", "x", "y", "w"], ["x", "z", "y", "y"]
    frame = confusion_matrix_frame(y_true, y_pred)
    # labels only true ("w") and only predicted ("z") get a row and a column
    assert frame.index.tolist() == frame.columns.tolist() == ["w", "x", "y", "z"]
    assert frame.loc["x", "z"] == 1 and frame.loc["w", "y"] == 1
    ordered = confusion_matrix_frame(y_true, y_pred, labels=["z", "y", "x"])
    assert ordered.index.tolist() == ordered.columns.tolist() == ["z", "y", "x"]
    np.testing.assert_array_equal(ordered.to_numpy(), [[0, 0, 0], [0, 1, 0], [1, 0, 1]])
    normalized = confusion_matrix_frame(
        ["x", "x", "y"], ["x", "y", "y"], labels=["x", "y", "w"], normalize="true"
    )
    # a row of one sample is divided by 1; the row of an absent class is zero
    np.testing.assert_array_equal(
        normalized.to_numpy(), [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    )


def test_from_confusion_numbers_the_classes_and_flags_scarce_ones_by_default():
    with pytest.warns(UserWarning, match=r"class '0' \(6\), '1' \(3\)"):
        report = per_class_report_from_confusion([[5, 1], [0, 3]])
    assert report.index.tolist() == [0, 1]
    assert report.loc[1, "tpr"] == 1.0 and report.loc[0, "tpr"] == 5 / 6

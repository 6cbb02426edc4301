"""The values of a model file's JSON tree: each kind round-trips exactly, and
every malformed value is refused naming where it sits.

These drive the encoder and decoder of ``model.json`` directly, value by
value; ``test_persistence.py`` round-trips whole models.
"""

import math
import re

import numpy as np
import pytest

from sklearn_lipnet import Augmentation
from sklearn_lipnet.persistence import _codec, _model_file
from sklearn_lipnet.persistence._checks import InvalidModelFile


def _encode(value):
    return _codec.Encoder().encode(value, "model")


def _decode(value):
    return _codec.Decoder(None, _model_file.FORMAT_VERSION, "cpu").decode(
        value, "model"
    )


@pytest.mark.parametrize(
    "value",
    [
        np.float32(1.5),
        np.int64(-(2**40)),
        np.uint8(255),
        np.bool_(True),
        np.str_("unilamellar"),
        np.array([0.1, 1 / 3, -0.0, 1e-300, np.inf]),
        np.arange(12, dtype=np.int16).reshape(2, 3, 2),
        np.array([[True, False]]),
        np.zeros((2, 0)),
        np.array(["empty", "full"]),
        np.array([["a", 1], [2.5, True]], dtype=object),
    ],
    ids=[
        "float32",
        "int64",
        "uint8",
        "bool",
        "str",
        "float64_array",
        "int16_3d",
        "bool_array",
        "empty_2d",
        "str_array",
        "object_array",
    ],
)
def test_numpy_values_come_back_with_their_type_shape_and_bits(value):
    back = _decode(_encode(value))
    assert type(back) is type(value)
    assert back.dtype == value.dtype
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape
        assert back.tobytes() == value.tobytes() or value.dtype == object
        assert back.tolist() == value.tolist()
        assert [type(v) for v in back.ravel()] == [type(v) for v in value.ravel()]
    else:
        assert back == value


def test_containers_and_plain_values_keep_their_kind():
    value = {
        "tuple": (1, "two", (3.0,)),
        "list": [None, True, math.inf],
        "dtype": np.dtype("float32"),
        "nested": {"empty": {}, "empty_tuple": ()},
    }
    back = _decode(_encode(value))
    assert back == value
    assert type(back["tuple"]) is tuple and type(back["tuple"][2]) is tuple
    assert type(back["list"]) is list and type(back["nested"]["empty_tuple"]) is tuple
    assert back["dtype"] == np.dtype("float32")
    assert isinstance(back["dtype"], np.dtype)


def test_nan_survives_the_round_trip():
    back = _decode(_encode({"x": math.nan, "a": np.array([np.nan])}))
    assert math.isnan(back["x"]) and np.isnan(back["a"]).all()


def _array(items, dtype="<f8", shape=None):
    return {
        "__ndarray__": items,
        "dtype": dtype,
        "shape": [len(items)] if shape is None else shape,
    }


def _refused(value, match):
    with pytest.raises(InvalidModelFile, match=match):
        _decode(value)


@pytest.mark.parametrize(
    "dtype, match",
    [
        (8, r"^model: expected a dtype, got 8\."),
        ("<U" + "0" * 18 + "1", "expected a dtype"),  # 21 characters
        ("nonsense", "'nonsense' is not a dtype"),
        ("|O", "dtype '|O' is not allowed"),
        ("<c16", "dtype '<c16' is not allowed"),
        ("(2,)<f8", r"dtype '\(2,\)<f8' is not allowed"),
        ("<U1025", "holds strings that are too long"),
    ],
    ids=["int", "21_chars", "nonsense", "object", "complex", "subarray", "U1025"],
)
def test_dtypes_outside_the_allowed_kinds_and_sizes_are_refused(dtype, match):
    _refused(_array([], dtype), match)


def test_the_longest_allowed_dtype_text_and_strings():
    assert _decode(_array(["a"], "<U" + "0" * 17 + "1")).dtype == np.dtype("<U1")
    assert _decode(_array(["x" * 1024], "<U1024")).tolist() == ["x" * 1024]


@pytest.mark.parametrize(
    "items, dtype, match",
    [
        ("1, 2", "<f8", "expected a list of values, got '1, 2'"),
        ([1, True], "<i8", r"holds \['bool', 'int'\] values for dtype int64"),
        ([1.5], "<i8", r"holds \['float'\] values for dtype int64"),
        ([1], "|b1", r"holds \['int'\] values for dtype bool"),
        (["1"], "<f8", r"holds \['str'\] values for dtype float64"),
        (["abc"], "<U2", "holds strings longer than dtype <U2 allows"),
        ([2**70], "<i8", "cannot hold these values"),
    ],
    ids=["text", "bool_in_int", "float_in_int", "int_in_bool", "str_in_float"]
    + ["long_str", "overflow"],
)
def test_array_items_must_fit_their_dtype(items, dtype, match):
    _refused(_array(items, dtype), match)


def test_integers_in_a_float_array_and_strings_of_full_length_are_fine():
    assert _decode(_array([1, 2.5])).tolist() == [1.0, 2.5]
    assert _decode(_array(["ab"], "<U2")).tolist() == ["ab"]


@pytest.mark.parametrize(
    "shape, match",
    [
        ("2", "expected a shape, got '2'"),
        ([1] * 33, "expected a shape, got a list of 33 item"),
        ([-1], "expected a shape"),
        ([True], "expected a shape"),
        ([1.0], "expected a shape"),
        ([3], r"shape \(3,\) does not hold 2 values"),
    ],
    ids=["text", "33_dims", "negative", "bool", "float", "too_big"],
)
def test_shapes_must_be_dimensions_that_hold_the_items(shape, match):
    _refused(_array([1.0, 2.0], shape=shape), match)


def test_a_shape_of_32_dimensions_is_allowed():
    assert _decode(_array([1.0], shape=[1] * 32)).shape == (1,) * 32


def test_scalars_are_checked_like_array_items():
    assert _decode({"__scalar__": 3, "dtype": "<f4"}) == np.float32(3)
    _refused({"__scalar__": 1.5, "dtype": "<i4"}, r"holds \['float'\] values")
    _refused({"__scalar__": 300, "dtype": "|u1"}, "cannot hold this value")
    _refused({"__scalar__": 1, "dtype": "<i4", "shape": []}, "keys")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda v: [v],
        lambda v: {"__tuple__": [v]},
        lambda v: {"__dict__": {"k": v}},
        lambda v: {"__object_array__": [v], "shape": [1]},
    ],
    ids=["list", "tuple", "dict", "object_array"],
)
def test_nesting_is_limited_to_max_depth(wrap):
    # Every container counts one level: the innermost one is ``wrap``.
    def nested(depth):
        value = wrap(0)
        for _ in range(depth - 1):
            value = [value]
        return value

    _decode(nested(_codec.MAX_DEPTH))
    _refused(nested(_codec.MAX_DEPTH + 1), "nested more than 100 levels")


@pytest.mark.parametrize(
    "value, match",
    [
        ({"__tuple__": [], "__dict__": {}}, r"^model: an entry with the keys"),
        ({"plain": 1}, "an entry with the keys"),
        ({"__dtype__": "<f8", "extra": 1}, "an entry with the keys"),
        ({"__dtype__": "<U3"}, "dtype '<U3' is not allowed"),
        ({"__tuple__": {"a": 1}}, "expected a list of values, got a dict"),
        ({"__dict__": [1]}, "expected a mapping, got a list"),
        ({"__object_array__": "ab", "shape": [2]}, "expected a list of values"),
        (
            {"__object_array__": [1, [2]], "shape": [2]},
            r"^model\[1\]: a list of 1 item\(s\) cannot be in an array",
        ),
        ({"__object_array__": [1, 2], "shape": [3]}, "does not hold 2 values"),
        ({"__dict__": {"k": {"__tuple__": [{"x": 1}]}}}, r"^model\.k\[0\]: an entry"),
        ([1, {"oops": 2}], r"^model\[1\]: an entry"),
    ],
    ids=["two_tags", "no_tag", "extra_key", "string_dtype", "tuple_of_dict"]
    + ["dict_of_list", "object_array_text", "object_array_list"]
    + ["object_array_shape", "nested_dict", "nested_list"],
)
def test_malformed_entries_are_refused_where_they_sit(value, match):
    _refused(value, match)


def test_an_object_arrays_items_may_be_any_plain_scalar():
    items = ["a", True, 2, 2.5, {"__scalar__": 3, "dtype": "<i2"}]
    back = _decode({"__object_array__": items, "shape": [5]})
    assert back.tolist() == ["a", True, 2, 2.5, 3]
    assert type(back[4]) is np.int16


def test_values_that_cannot_be_saved_are_named():
    with pytest.raises(ValueError, match=r"^model\.k: dictionaries with non-string"):
        _encode({"k": {1: 2}})
    for where, value in [
        ("model[1]", [1, {2}]),
        ("model[1]", (1, {2})),
        ("model[0][1]", [np.array([1, {2}], dtype=object)]),
        ("model.rotation", Augmentation(rotation={1})),
    ]:
        with pytest.raises(ValueError, match=rf"^{re.escape(where)}: objects of type"):
            _encode(value)


def test_a_fitted_sampler_is_saved_by_its_settings_only():
    from imblearn.over_sampling import RandomOverSampler

    sampler = RandomOverSampler(random_state=3)
    sampler.fit_resample(np.arange(10.0).reshape(5, 2), [0, 0, 0, 1, 1])
    encoded = _encode(sampler)
    assert encoded["__object__"] == "RandomOverSampler"
    assert set(encoded["state"]) == set(sampler.get_params(deep=False))
    assert encoded["state"]["random_state"] == 3


def test_an_augmentation_round_trips_its_settings():
    augmentation = Augmentation(rotation=90, shear=0, zoom=(0.9, 1.0))
    encoded = _encode(augmentation)
    assert set(encoded["state"]) == set(augmentation.to_dict())
    assert _decode(encoded) == augmentation

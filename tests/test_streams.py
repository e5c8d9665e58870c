import numpy as np
import pytest

from sim.streams import stream, streams


def test_same_seed_and_name_give_same_draws():
    a = stream(42, "arrivals").random(5)
    b = stream(42, "arrivals").random(5)
    np.testing.assert_array_equal(a, b)


def test_streams_differ_by_name_replication_and_seed():
    base = stream(42, "arrivals").random(5)
    assert not np.allclose(base, stream(42, "service").random(5))
    assert not np.allclose(base, stream(42, "arrivals", replication=1).random(5))
    assert not np.allclose(base, stream(43, "arrivals").random(5))


def test_a_stream_does_not_depend_on_which_other_streams_exist():
    alone = stream(7, "patience").random(3)
    among = streams(7, ("arrivals", "service", "patience"))["patience"].random(3)
    np.testing.assert_array_equal(alone, among)


def test_negative_seed_is_refused():
    with pytest.raises(ValueError, match="seed must be >= 0"):
        stream(-1, "arrivals")

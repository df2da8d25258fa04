"""The sharded disk cache: few files, several writer processes, damaged shards, a size bound."""

import io
import multiprocessing
import os
import pickle
import tempfile
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_sentemb import DiskCache, TransformerFeaturizer, _cache, clear_memory_cache
from sklearn_sentemb._cache import close_disk_caches


def layers_of(i, n_tokens=3, dim=4):
    """Distinct, checkable arrays for text ``i``."""
    base = np.arange(n_tokens * dim, dtype=np.float32).reshape(n_tokens, dim)
    return {0: base + i, 2: base * -i}


def n_files(folder):
    return sum(len(files) for _, _, files in os.walk(folder))


def test_ten_thousand_texts_in_at_most_a_hundred_files(tmp_path):
    cache = DiskCache(tmp_path)
    for i in range(10_000):
        cache.put("config", f"text {i}", layers_of(i))
    assert len(cache) == 10_000
    assert n_files(tmp_path) <= 100
    for i in (0, 4321, 9999):
        got = DiskCache(tmp_path).get("config", f"text {i}")
        np.testing.assert_array_equal(got[2], layers_of(i)[2])
    assert cache.get("other config", "text 1") is None


def test_layers_merge_and_configurations_stay_apart(tmp_path):
    cache = DiskCache(tmp_path)
    cache.put("a", "the text", {0: np.zeros((2, 3), np.float32)})
    cache.put("a", "the text", {5: np.ones((2, 3), np.float32)})
    cache.put("b", "the text", {0: np.full((2, 3), 7, np.float32)})
    assert sorted(cache.get("a", "the text")) == [0, 5]
    np.testing.assert_array_equal(cache.get("b", "the text")[0], np.full((2, 3), 7))


def _write_range(folder, start, stop):
    cache = DiskCache(folder)
    for i in range(start, stop):
        cache.put("config", f"text {i}", layers_of(i))


def test_two_writer_processes_share_the_folder(tmp_path):
    context = multiprocessing.get_context("spawn")  # fresh processes, as joblib's workers are
    # Overlapping ranges: both processes write texts 200..299.
    workers = [
        context.Process(target=_write_range, args=(tmp_path, 0, 300)),
        context.Process(target=_write_range, args=(tmp_path, 200, 500)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    cache = DiskCache(tmp_path)
    assert len(cache) == 500
    for i in range(500):
        np.testing.assert_array_equal(cache.get("config", f"text {i}")[0], layers_of(i)[0])


def test_a_damaged_shard_is_removed_and_recomputed(tmp_path):
    cache = DiskCache(tmp_path, n_shards=2)
    for i in range(50):
        cache.put("config", f"text {i}", layers_of(i))
    close_disk_caches()  # what a new process would find: the database files alone
    database = os.path.join(cache.root, "shard-000", "cache.db")
    with open(database, "r+b") as f:  # something scribbles over the database
        f.write(b"this is no longer an SQLite file" * 200)
    fresh = DiskCache(tmp_path, n_shards=2)
    found = []
    with pytest.warns(RuntimeWarning, match=r"damaged shard .*shard-000"):
        for i in range(50):
            found.append(fresh.get("config", f"text {i}") is not None)
    assert 0 < sum(found) < 50  # the other shard's entries are intact
    for i in range(50):  # what was lost is written again
        fresh.put("config", f"text {i}", layers_of(i))
    assert len(fresh) == 50


def test_a_damaged_entry_is_removed_and_recomputed(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    cache.put("config", "the text", layers_of(1))
    shard = cache._shard(0)
    key = next(iter(shard))
    blob = bytearray(shard[key])
    blob[-10] ^= 0xFF  # flip bits inside the stored array
    shard[key] = bytes(blob)
    with pytest.warns(RuntimeWarning, match="damaged entry"):
        assert cache.get("config", "the text") is None
    assert len(cache) == 0


def test_size_bound_evicts_the_oldest_entries(tmp_path):
    big = {0: np.zeros((1000, 64), np.float32)}  # 256 kB an entry
    cache = DiskCache(tmp_path, max_bytes=4 * 2**20, n_shards=1)
    for i in range(40):
        cache.put("config", f"text {i}", big)
    assert len(cache) < 40
    assert cache.get("config", "text 39") is not None  # the newest stays
    assert cache.get("config", "text 0") is None  # the oldest went first
    assert cache.volume() <= 8 * 2**20


def test_clear_and_pickle(tmp_path):
    cache = DiskCache(tmp_path, max_bytes=2**30, n_shards=4)
    cache.put("config", "a text", layers_of(0))
    restored = pickle.loads(pickle.dumps(cache))
    assert restored == cache and len(restored) == 1
    restored.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"location": 3}, r"DiskCache: location must be a folder path"),
        ({"location": "x", "max_bytes": 0}, r"DiskCache: max_bytes must be a positive int"),
        ({"location": "x", "n_shards": 0}, r"DiskCache: n_shards must be an int in 1..256"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        DiskCache(**kwargs)


def test_featurizer_reads_a_disk_cache_object(tiny_bert, tmp_path, monkeypatch):
    cache = DiskCache(tmp_path, max_bytes=2**30)
    texts = ["A man plays a guitar.", "Someone plays music."]
    featurizer = TransformerFeaturizer(tiny_bert, cache=cache)
    first = clone(featurizer).transform(texts)
    assert len(cache) == 2
    clear_memory_cache()

    def refuse(*args, **kwargs):
        raise AssertionError("a forward pass ran: the disk cache was not read")

    monkeypatch.setattr(TransformerFeaturizer, "_forward", refuse)
    again = pickle.loads(pickle.dumps(featurizer)).transform(texts)
    np.testing.assert_array_equal(again.values, first.values)


def test_clear_caches_empties_every_listed_state(tiny_bert):
    from sklearn_sentemb import (
        RandomTokenEmbeddings,
        TokenPooler,
        _cache,
        _models,
        _static,
        clear_caches,
        process_state,
    )

    texts = ["A man plays a guitar.", "Someone plays music."]
    TokenPooler(exclude=("special", "punctuation")).fit_transform(
        TransformerFeaturizer(tiny_bert).transform(texts)
    )
    RandomTokenEmbeddings(tiny_bert, dim=8).transform(texts)
    assert len(_cache.memory_cache) and len(_cache.recent_outputs)
    assert _static._cached_random_table.cache_info().currsize
    assert {s.name for s in process_state()} >= {"models", "hidden states", "random tables"}
    clear_caches()
    assert len(_cache.memory_cache) == len(_cache.recent_outputs) == 0
    assert _static._cached_random_table.cache_info().currsize == 0
    assert _models._REGISTRY  # models stay unless asked
    clear_caches(models=True)
    assert not _models._REGISTRY and not _models._TOKENIZERS


def test_an_entry_of_the_earlier_layout_is_a_quiet_miss_and_is_overwritten(tmp_path, recwarn):
    import io

    cache = DiskCache(tmp_path, n_shards=1)
    shard = cache._shard(0)
    key = cache._key("config", "the text")[0]
    buf = io.BytesIO()  # the first layout: one npz member per layer
    np.savez(buf, text=np.frombuffer(b"the text", np.uint8), layer_0=np.ones((3, 4), np.float32))
    earlier = {"SENTEMB2": b"SENTEMB2" + bytes(16) + buf.getvalue()}
    buf = io.BytesIO()  # the second: every layer of a text in one row of .npy arrays
    for array in (np.frombuffer(b"the text", np.uint8), np.array([0]), np.ones((3, 4))):
        np.save(buf, array)
    earlier["SENTEMB3"] = b"SENTEMB3" + zlib.crc32(buf.getvalue()).to_bytes(4, "little")
    earlier["SENTEMB3"] += buf.getvalue()
    for magic, blob in earlier.items():
        shard[key] = blob
        assert cache.get("config", "the text") is None, magic
        assert not cache.contains("config", "the text")
        assert not [w for w in recwarn if "damaged" in str(w.message)]
        cache.put("config", "the text", layers_of(2))
        np.testing.assert_array_equal(cache.get("config", "the text")[0], layers_of(2)[0])


def test_a_reader_of_one_layer_reads_only_that_layer(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    cache.put("config", "the text", {k: np.full((3, 4), k, np.float32) for k in range(7)})
    shard = cache._shard(0)
    read = []
    get = type(shard).get
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            type(shard), "get", lambda self, key, **kw: read.append(key) or get(self, key, **kw)
        )
        got = cache.get("config", "the text", [6])
    assert list(got) == [6] and (got[6] == 6).all()
    assert len(read) == 2 and read[1].endswith("#6")  # the index, then layer 6 alone


def test_a_put_rewrites_a_listed_layer_whose_row_was_evicted(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    cache.put("config", "the text", layers_of(1))  # layers 0 and 2
    del cache._shard(0)[cache._key("config", "the text")[0] + "#0"]
    assert cache.get("config", "the text", [0, 5]) is None  # 5 was never stored
    cache.put("config", "the text", {0: layers_of(3)[0], 5: layers_of(3)[2]})
    got = cache.get("config", "the text", [0, 5])
    np.testing.assert_array_equal(got[0], layers_of(3)[0])
    np.testing.assert_array_equal(got[5], layers_of(3)[2])


def test_a_layer_evicted_apart_from_its_index_makes_the_text_a_miss_then_is_stored(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    cache.put("config", "the text", layers_of(1))
    shard = cache._shard(0)
    del shard[cache._key("config", "the text")[0] + "#2"]
    assert cache.get("config", "the text", [0]) is not None  # layer 0 is still there
    assert cache.get("config", "the text", [0, 2]) is None
    cache.put("config", "the text", layers_of(1))
    np.testing.assert_array_equal(cache.get("config", "the text")[2], layers_of(1)[2])


def test_arrays_of_any_shape_and_dtype_are_stored_and_read_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        0: rng.normal(size=(7, 5)).astype(np.float32),
        3: rng.normal(size=(7, 5)).astype(np.float32),
        6: rng.integers(0, 9, size=11),  # a trained table's counts: other shape, int64
        9: np.zeros((0, 2), np.float64),
        10: np.array(2.5),  # 0-d
        11: np.asfortranarray(rng.normal(size=(4, 3))),
        12: np.ones(3, dtype=">f4"),
    }
    cache = DiskCache(tmp_path, n_shards=1)
    for text in ["a text\x00", "ab", "abc", "ü" * 5]:  # texts of other byte lengths
        cache.put("config", text, arrays)
        read = cache.get("config", text)
        assert sorted(read) == sorted(arrays)
        for k, array in arrays.items():
            assert read[k].dtype == array.dtype and read[k].shape == array.shape
            np.testing.assert_array_equal(read[k], array)
            assert read[k].flags.aligned and read[k].ctypes.data % 8 == 0
    assert cache.get("config", "a text") is None  # the trailing NUL is part of the text


def test_a_stored_row_is_a_sequence_of_plain_npy_arrays(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.put("config", "the text", {4: array})
    blob = cache._shard(0)[cache._key("config", "the text")[0] + "#4"]
    stream = io.BytesIO(blob[12:])  # after the magic and the CRC-32
    assert np.load(stream).tobytes() == b"the text"
    assert np.load(stream).tolist() == [4]
    np.testing.assert_array_equal(np.load(stream), array)


def test_entries_read_back_are_read_only_so_no_caller_can_alter_the_cache(tmp_path):
    cache = DiskCache(tmp_path, n_shards=1)
    cache.put("config", "a text", {0: np.ones((3, 2), np.float32)})
    read = cache.get("config", "a text")[0]
    with pytest.raises(ValueError, match="read-only"):
        read[0, 0] = 5.0
    np.testing.assert_array_equal(cache.get("config", "a text")[0], np.ones((3, 2)))


@pytest.mark.parametrize(("free", "memory"), [(16 * 1024**3, True), (4 * 1024**3, False)])
def test_the_shared_folder_is_in_memory_only_where_there_is_room(monkeypatch, free, memory):
    monkeypatch.setattr(_cache, "_SHM", str(Path(tempfile.mkdtemp())))
    monkeypatch.setattr(_cache.shutil, "disk_usage", lambda path: SimpleNamespace(free=free))
    expected = _cache._SHM if memory else tempfile.gettempdir()
    assert _cache._shared_parent() == expected

"""The transparency log's Merkle tree against RFC 9162 itself and the CT reference vectors.

Three kinds of evidence: (1) a naive implementation written straight from the RFC's recursive
definitions (MTH, PATH, PROOF/SUBPROOF) agrees with the store-backed one on every tree size
1..70, every leaf and every old size; (2) the reference vectors of the Certificate Transparency
implementations (the 8-leaf tree used by certificate-transparency-go and transparency-dev/merkle)
come out byte for byte; (3) every way of tampering with a proof is rejected.
"""

import hashlib

import pytest

from sportel.documents import merkle
from sportel.documents.merkle import (
    EMPTY_ROOT,
    MemoryStore,
    append,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 70


# --- Straight from RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1 -----------------------------------------
def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m, d):
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m, d):
    return naive_subproof(m, d, True)


# --- Helpers ---------------------------------------------------------------------------------
def entries(n):
    return [f"entry {i}".encode() for i in range(n)]


def build(data):
    """A store filled the way the documents module fills its table: append, persist, repeat."""
    store = MemoryStore()
    for size, d in enumerate(data):
        for level, index, h in append(store, size, leaf_hash(d)):
            store.put(level, index, h)
    return store


@pytest.fixture(scope="module")
def data():
    return entries(MAX_SIZE)


@pytest.fixture(scope="module")
def store(data):
    return build(data)


class RecordingStore:
    """Counts and remembers the reads, to prove the cost claims and the node layout."""

    def __init__(self, inner):
        self.inner = inner
        self.reads = []

    def get(self, level, index):
        self.reads.append((level, index))
        return self.inner.get(level, index)


class SyntheticStore:
    """Any hash for any node, so trees of billions of leaves can be read without building them."""

    def __init__(self):
        self.reads = 0

    def get(self, level, index):
        self.reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


class MemoryviewStore:
    """Returns memoryview, as psycopg does for bytea columns."""

    def __init__(self, inner):
        self.inner = inner

    def get(self, level, index):
        return memoryview(self.inner.get(level, index))


def flip(h, bit=3):
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


# --- The hash functions ----------------------------------------------------------------------
def test_hashes_match_the_rfc6962_reference_values():
    # Values from transparency-dev/merkle rfc6962 tests (echo -n ... | xxd -r -p | sha256sum).
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert (
        leaf_hash(b"L123456").hex()
        == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_leaf_and_node_hashes_are_domain_separated():
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert a != b
    assert node_hash(a, b) != leaf_hash(a + b)  # second-preimage resistance
    assert node_hash(a, b) != node_hash(b, a)
    assert merkle.HASH is hashlib.sha256


# --- The reference vectors of the CT implementations -------------------------------------------
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
REFERENCE_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def _hx(*hashes):
    return [bytes.fromhex(h) for h in hashes]


# (leaf index, tree size, proof): transparency-dev/merkle proof/verify_test.go, 0-based here.
REFERENCE_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        _hx(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hx(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _hx(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, proof): same source.
REFERENCE_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        _hx(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hx(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hx(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hx(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]


@pytest.fixture(scope="module")
def reference_store():
    return build(REFERENCE_LEAVES)


def test_reference_tree_has_the_known_root_at_every_size(reference_store):
    for size, expected in enumerate(REFERENCE_ROOTS, start=1):
        assert root(reference_store, size) == expected, size
        assert naive_mth(REFERENCE_LEAVES[:size]) == expected, size


@pytest.mark.parametrize(("index", "size", "expected"), REFERENCE_INCLUSION)
def test_reference_inclusion_proofs_come_out_byte_for_byte(reference_store, index, size, expected):
    proof = inclusion_proof(reference_store, index, size)
    assert proof == expected
    leaf = leaf_hash(REFERENCE_LEAVES[index])
    assert verify_inclusion(leaf, index, size, proof, REFERENCE_ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "expected"), REFERENCE_CONSISTENCY)
def test_reference_consistency_proofs_come_out_byte_for_byte(reference_store, old, new, expected):
    proof = consistency_proof(reference_store, old, new)
    assert proof == expected
    assert verify_consistency(old, new, REFERENCE_ROOTS[old - 1], REFERENCE_ROOTS[new - 1], proof)


# (index, size) → the perfect nodes a proof is made of, from transparency-dev/merkle's
# proof_test.go; ranges after "+" are folded into one proof element (the tree's right edge).
REFERENCE_INCLUSION_NODES = [
    (0, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (4, 7, [(0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (2, 0)]),
    (3, 5, [(0, 2), (1, 0), (0, 4)]),
    (10, 15, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)]),
    (81, 95, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]
REFERENCE_CONSISTENCY_NODES = [
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)]),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]


@pytest.fixture(scope="module")
def store_of_100():
    return build(entries(100))


@pytest.mark.parametrize(("index", "size", "nodes"), REFERENCE_INCLUSION_NODES)
def test_inclusion_proof_reads_exactly_the_reference_nodes(store_of_100, index, size, nodes):
    recording = RecordingStore(store_of_100)
    inclusion_proof(recording, index, size)
    assert sorted(recording.reads) == sorted(nodes)


@pytest.mark.parametrize(("old", "new", "nodes"), REFERENCE_CONSISTENCY_NODES)
def test_consistency_proof_reads_exactly_the_reference_nodes(store_of_100, old, new, nodes):
    recording = RecordingStore(store_of_100)
    consistency_proof(recording, old, new)
    assert sorted(recording.reads) == sorted(nodes)


# --- Every size 1..70 against the RFC's definitions -------------------------------------------
def test_root_matches_the_rfc_definition_at_every_size(store, data):
    assert root(store, 0) == EMPTY_ROOT == naive_mth([])
    for size in range(1, MAX_SIZE + 1):
        assert root(store, size) == naive_mth(data[:size]), size


def test_every_inclusion_proof_matches_the_rfc_and_verifies(store, data):
    for size in range(1, MAX_SIZE + 1):
        tree_root = naive_mth(data[:size])
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            assert proof == naive_path(index, data[:size]), (index, size)
            assert verify_inclusion(leaf_hash(data[index]), index, size, proof, tree_root)


def test_every_consistency_proof_matches_the_rfc_and_verifies(store, data):
    for new in range(1, MAX_SIZE + 1):
        new_root = naive_mth(data[:new])
        for old in range(1, new + 1):
            proof = consistency_proof(store, old, new)
            expected = [] if old == new else naive_proof(old, data[:new])
            assert proof == expected, (old, new)
            assert verify_consistency(old, new, naive_mth(data[:old]), new_root, proof)


def test_append_returns_each_perfect_subtree_it_completes(data):
    store = MemoryStore()
    for size, d in enumerate(data):
        nodes = append(store, size, leaf_hash(d))
        assert nodes[0] == (0, size, leaf_hash(d))
        # The new leaf completes one node per trailing 1 bit of its index.
        trailing_ones = len(bin(size)) - len(bin(size).rstrip("1"))
        assert [(level, index) for level, index, _h in nodes] == [
            (level, size >> level) for level in range(trailing_ones + 1)
        ]
        for level, index, h in nodes:
            assert h == naive_mth(data[index << level : (index + 1) << level])
            store.put(level, index, h)
    # Exactly the complete perfect subtrees are stored: n leaves give 2n - popcount(n) nodes.
    assert len(store) == 2 * MAX_SIZE - bin(MAX_SIZE).count("1")


def test_append_reads_only_the_left_siblings_it_joins():
    store = build(entries(7))
    recording = RecordingStore(store)
    append(recording, 7, leaf_hash(b"eighth"))
    assert recording.reads == [(0, 6), (1, 2), (2, 0)]


def test_older_tree_sizes_stay_provable_after_the_log_grows(store, data):
    # The store holds 70 leaves; a client that saw the log at size 13 still gets its proofs.
    old_root = naive_mth(data[:13])
    assert root(store, 13) == old_root
    assert verify_inclusion(leaf_hash(data[12]), 12, 13, inclusion_proof(store, 12, 13), old_root)
    assert verify_consistency(13, 70, old_root, root(store, 70), consistency_proof(store, 13, 70))


def test_a_store_returning_memoryview_gives_plain_bytes(store):
    view = MemoryviewStore(store)
    assert type(root(view, 37)) is bytes
    assert root(view, 37) == root(store, 37)
    assert all(type(h) is bytes for h in inclusion_proof(view, 5, 37))
    assert all(type(h) is bytes for h in consistency_proof(view, 5, 37))
    nodes = append(view, 70, memoryview(leaf_hash(b"71st")))
    assert all(type(h) is bytes for _level, _index, h in nodes)


def test_verification_accepts_memoryview_arguments(store, data):
    r = root(store, 9)
    proof = [memoryview(h) for h in inclusion_proof(store, 4, 9)]
    assert verify_inclusion(memoryview(leaf_hash(data[4])), 4, 9, proof, memoryview(r))


# --- Cost on a national-size log ----------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 2, 3, 2**20, 6_500_000, 2**40 - 1, 10**12 + 12345])
def test_reads_stay_logarithmic_on_huge_trees(size):
    depth = (size - 1).bit_length()
    synthetic = SyntheticStore()
    root(synthetic, size)
    assert synthetic.reads == bin(size).count("1")

    for index in {0, size // 3, size // 2, size - 1}:
        synthetic = SyntheticStore()
        proof = inclusion_proof(synthetic, index, size)
        assert len(proof) <= depth
        assert synthetic.reads <= 2 * depth
    for old in {1, size // 3, size // 2, size - 1} - {0}:
        synthetic = SyntheticStore()
        proof = consistency_proof(synthetic, old, size)
        assert len(proof) <= depth + 1
        assert synthetic.reads <= 2 * depth + 1


# --- Tampering is rejected ---------------------------------------------------------------------
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def inclusion_tamperings(leaf, index, size, proof, tree_root):
    """Every probe transparency-dev's verifier test uses, plus a few more."""
    probes = {
        "index - 1": (leaf, index - 1, size, proof, tree_root),
        "index + 1": (leaf, index + 1, size, proof, tree_root),
        "index ^ 2": (leaf, index ^ 2, size, proof, tree_root),
        "size * 2": (leaf, index, size * 2, proof, tree_root),
        "size / 2": (leaf, index, size // 2, proof, tree_root),
        "wrong leaf": (leaf_hash(b"wrong"), index, size, proof, tree_root),
        "short leaf": (b"WrongLeaf", index, size, proof, tree_root),
        "empty root": (leaf, index, size, proof, EMPTY_ROOT),
        "random root": (leaf, index, size, proof, SOME_HASH),
        "flipped root": (leaf, index, size, proof, flip(tree_root)),
        "trailing garbage": (leaf, index, size, [*proof, b""], tree_root),
        "trailing root": (leaf, index, size, [*proof, tree_root], tree_root),
        "preceding garbage": (leaf, index, size, [b"", *proof], tree_root),
        "preceding root": (leaf, index, size, [tree_root, *proof], tree_root),
    }
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = flip(tampered[i])
        probes[f"flipped proof[{i}]"] = (leaf, index, size, tampered, tree_root)
    if proof:
        probes["removed component"] = (leaf, index, size, proof[:-1], tree_root)
    if len(proof) > 1:
        probes["inserted component"] = (
            leaf,
            index,
            size,
            [proof[0], SOME_HASH, *proof[1:]],
            tree_root,
        )
        probes["swapped components"] = (
            leaf,
            index,
            size,
            [proof[1], proof[0], *proof[2:]],
            tree_root,
        )
    return probes


def consistency_tamperings(old, new, old_root, new_root, proof):
    probes = {
        "old - 1": (old - 1, new, old_root, new_root, proof),
        "old + 1": (old + 1, new, old_root, new_root, proof),
        "old ^ 2": (old ^ 2, new, old_root, new_root, proof),
        "new * 2": (old, new * 2, old_root, new_root, proof),
        "new / 2": (old, new // 2, old_root, new_root, proof),
        "wrong old root": (old, new, SOME_HASH, new_root, proof),
        "wrong new root": (old, new, old_root, SOME_HASH, proof),
        "short root": (old, new, b"WrongRoot", new_root, proof),
        "swapped roots": (old, new, new_root, old_root, proof),
        "empty proof": (old, new, old_root, new_root, []),
        "trailing garbage": (old, new, old_root, new_root, [*proof, b""]),
        "trailing old root": (old, new, old_root, new_root, [*proof, old_root]),
        "trailing new root": (old, new, old_root, new_root, [*proof, new_root]),
        "preceding garbage": (old, new, old_root, new_root, [b"", *proof]),
        "preceding old root": (old, new, old_root, new_root, [old_root, *proof]),
        "preceding new root": (old, new, old_root, new_root, [new_root, *proof]),
        "preceding proof[0]": (old, new, old_root, new_root, [proof[0], *proof]),
        "truncated proof": (old, new, old_root, new_root, proof[:-1]),
    }
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = flip(tampered[i], bit=4)
        probes[f"flipped proof[{i}]"] = (old, new, old_root, new_root, tampered)
    return probes


def test_tampered_inclusion_proofs_are_rejected_at_every_size(store, data):
    for size in range(1, MAX_SIZE + 1):
        tree_root = naive_mth(data[:size])
        for index in range(size):
            leaf = leaf_hash(data[index])
            proof = inclusion_proof(store, index, size)
            for name, probe in inclusion_tamperings(leaf, index, size, proof, tree_root).items():
                assert not verify_inclusion(*probe), (name, index, size)


def test_tampered_consistency_proofs_are_rejected_at_every_size(store, data):
    for new in range(2, MAX_SIZE + 1):
        new_root = naive_mth(data[:new])
        for old in range(1, new):
            old_root = naive_mth(data[:old])
            proof = consistency_proof(store, old, new)
            for name, probe in consistency_tamperings(old, new, old_root, new_root, proof).items():
                assert not verify_consistency(*probe), (name, old, new)


def test_a_single_entry_tree_proves_only_its_own_leaf():
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(leaf_hash(b"other"), 0, 1, [], h)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 5)])
def test_impossible_positions_never_verify(index, size):
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_consistency_edge_cases():
    r1, r2 = leaf_hash(b"one"), leaf_hash(b"two")
    # Equal sizes: equal roots and nothing else.
    assert verify_consistency(5, 5, r1, r1, [])
    assert not verify_consistency(5, 5, r1, r2, [])
    assert not verify_consistency(5, 5, r1, r1, [EMPTY_ROOT])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    # Every tree extends the empty one, but only the empty root is the root of an empty tree.
    assert verify_consistency(0, 9, EMPTY_ROOT, r2, [])
    assert not verify_consistency(0, 9, r1, r2, [])
    assert not verify_consistency(0, 9, EMPTY_ROOT, r2, [EMPTY_ROOT])
    # Time does not run backwards, and a real extension needs a proof.
    assert not verify_consistency(2, 1, r1, r2, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert not verify_consistency(-1, 2, r1, r2, [r1])


def test_malformed_arguments_are_not_valid_proofs(store, data):
    r = root(store, 9)
    leaf = leaf_hash(data[4])
    proof = inclusion_proof(store, 4, 9)
    assert verify_inclusion(leaf, 4, 9, proof, r)
    assert not verify_inclusion(leaf, 4, 9, b"".join(proof), r)  # not a list of hashes
    assert not verify_inclusion(leaf, 4, 9, [h.hex() for h in proof], r)
    assert not verify_inclusion(leaf, 4, 9, [*proof[:-1], proof[-1][:31]], r)
    assert not verify_inclusion(leaf, True, 9, proof, r)
    assert not verify_inclusion(leaf, 4.0, 9, proof, r)
    assert not verify_consistency(3, 9, root(store, 3), r, "not a proof")


# --- Callers' mistakes are loud ----------------------------------------------------------------
def test_proof_requests_outside_the_tree_raise(store):
    with pytest.raises(ValueError):
        inclusion_proof(store, 5, 5)
    with pytest.raises(ValueError):
        inclusion_proof(store, -1, 5)
    with pytest.raises(ValueError):
        inclusion_proof(store, 0, 0)
    with pytest.raises(ValueError):
        consistency_proof(store, 6, 5)
    with pytest.raises(ValueError):
        consistency_proof(store, -1, 5)
    with pytest.raises(ValueError):
        root(store, -1)
    assert consistency_proof(store, 0, 5) == []
    assert consistency_proof(store, 5, 5) == []


def test_append_wants_a_leaf_hash_not_the_entry_data():
    with pytest.raises(ValueError, match="leaf_hash"):
        append(MemoryStore(), 0, b'{"code": "SHK-2026-000001"}')


def test_missing_nodes_surface_as_key_errors():
    store = build(entries(4))
    with pytest.raises(KeyError):
        root(store, 5)
    with pytest.raises(KeyError):
        append(MemoryStore(), 1, leaf_hash(b"second"))  # the first leaf was never stored

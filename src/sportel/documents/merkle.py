"""RFC 9162 (Certificate Transparency 2.0) Merkle tree over any node store.

The documents module keeps an append-only transparency log with millions of entries in the
database. Rather than holding the tree in memory, it stores the hash of every *perfect* subtree
once that subtree is complete: node ``(level, index)`` is the Merkle Tree Hash of leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. Such a node never
changes once written, so the store is append-only like the log itself, and every older tree
size can still be proven from it.

Everything here works from that store:

- :func:`append` computes the nodes that one new leaf completes (at most ``log2 n + 1``) for
  the caller to persist in the same transaction as the entry;
- :func:`root`, :func:`inclusion_proof` and :func:`consistency_proof` compute the hash of a
  non-perfect range from the perfect subtrees it decomposes into. A proof has at most one
  non-perfect element (the right edge of the tree), so a proof costs ``O(log n)`` reads;
- :func:`verify_inclusion` and :func:`verify_consistency` are the verification algorithms of
  RFC 9162 sections 2.1.3.2 and 2.1.4.2, needing nothing but the proof.

Wherever an argument is called ``leaf`` it is a **leaf hash** (``leaf_hash(data)``, 32 bytes),
never the entry's data. Hashes come back as ``bytes`` even if the store returns another
bytes-like object (psycopg returns ``memoryview`` for ``bytea``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

HASH = hashlib.sha256
HASH_SIZE = HASH().digest_size
EMPTY_ROOT: bytes = HASH(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The hash of one log entry: SHA-256(0x00 || data)."""
    return HASH(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    h = HASH(_NODE_PREFIX)
    h.update(left)
    h.update(right)
    return h.digest()


class NodeStore(Protocol):
    """Where the perfect-subtree hashes live (a model in the database, a dict in tests)."""

    def get(self, level: int, index: int) -> bytes:
        """The hash of node (level, index); KeyError if it was never stored."""
        ...


class MemoryStore:
    """A dict-backed :class:`NodeStore`, for tests, benchmarks and small in-memory trees."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}

    def put(self, level: int, index: int, h: bytes) -> None:
        self.nodes[(level, index)] = bytes(h)

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def __len__(self) -> int:
        return len(self.nodes)


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(bytes(value)) == HASH_SIZE


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(store: NodeStore, start: int, size: int) -> bytes:
    """MTH of leaves [start, start + size) from the perfect subtrees it is made of.

    Only ranges that occur in RFC 9162's recursion are asked for: ``start`` is then a multiple
    of a power of two >= size, so the range splits (by the bits of ``size``, largest first)
    into perfect, aligned subtrees, and its hash folds them from the right. That is the same
    value the RFC's recursion computes, with one read per set bit of ``size``.
    """
    chunks: list[bytes] = []
    offset = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            chunks.append(bytes(store.get(level, offset >> level)))
            offset += 1 << level
    h = chunks[-1]
    for chunk in reversed(chunks[:-1]):
        h = node_hash(chunk, h)
    return h


def append(store: NodeStore, tree_size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf hash number ``tree_size``; return the nodes it completes, for the caller to store.

    The first node is ``(0, tree_size, leaf)``, then each parent the new leaf completes, lowest
    first. ``store`` must hold every node of the tree of ``tree_size`` leaves (it reads the left
    siblings only); appends to one log must be serialised by the caller.
    """
    _check_size("tree_size", tree_size)
    if not _is_hash(leaf):
        raise ValueError("leaf must be a 32-byte leaf hash (use leaf_hash(data))")
    h = bytes(leaf)
    nodes = [(0, tree_size, h)]
    level, index = 0, tree_size
    while index & 1:  # this node is a right child: its parent is now complete
        h = node_hash(bytes(store.get(level, index - 1)), h)
        level, index = level + 1, index >> 1
        nodes.append((level, index, h))
    return nodes


def root(store: NodeStore, tree_size: int) -> bytes:
    """The Merkle Tree Hash of the first ``tree_size`` leaves (RFC 9162 2.1.1)."""
    _check_size("tree_size", tree_size)
    if tree_size == 0:
        return EMPTY_ROOT
    return _range_hash(store, 0, tree_size)


def inclusion_proof(store: NodeStore, index: int, tree_size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``tree_size`` leaves (RFC 9162 2.1.3.1)."""
    _check_size("index", index)
    _check_size("tree_size", tree_size)
    if index >= tree_size:
        raise ValueError(f"leaf {index} is not in a tree of {tree_size} leaves")
    path: list[bytes] = []  # collected from the root down; the RFC lists it leaf first
    start, size, m = 0, tree_size, index
    while size > 1:
        k = _largest_power_of_two_below(size)
        if m < k:
            path.append(_range_hash(store, start + k, size - k))
            size = k
        else:
            path.append(_range_hash(store, start, k))
            start, size, m = start + k, size - k, m - k
    path.reverse()
    return path


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of ``new_size`` (RFC 9162 2.1.4.1).

    Empty when ``old_size`` is 0 or equal to ``new_size``: nothing needs proving then.
    """
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is larger than new_size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []  # collected from the root down, reversed at the end
    start, size, m, whole_old_tree = 0, new_size, old_size, True
    while m != size:
        k = _largest_power_of_two_below(size)
        if m <= k:
            proof.append(_range_hash(store, start + k, size - k))
            size = k
        else:
            proof.append(_range_hash(store, start, k))
            start, size, m, whole_old_tree = start + k, size - k, m - k, False
    if not whole_old_tree:
        # SUBPROOF(m, D[m], false): the verifier does not know this subtree's hash yet.
        proof.append(_range_hash(store, start, size))
    proof.reverse()
    return proof


def _hashes(proof: object) -> list[bytes] | None:
    if not isinstance(proof, Sequence) or isinstance(proof, bytes | bytearray | str):
        return None
    if not all(_is_hash(p) for p in proof):
        return None
    return [bytes(p) for p in proof]


def _valid_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: list[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree with ``root``.

    RFC 9162 2.1.3.2, step by step. Malformed input (wrong hash lengths, negative sizes) is
    simply not a valid proof: the answer is False, never an exception.
    """
    path = _hashes(proof)
    if path is None or not _is_hash(leaf) or not _is_hash(root):
        return False
    if not (_valid_size(index) and _valid_size(tree_size)) or index >= tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = bytes(leaf)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == bytes(root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 2.1.4.2 for 0 < old_size < new_size. The edge cases the RFC leaves open: equal
    sizes need equal roots and an empty proof; an empty old tree must have the empty root
    (SHA-256 of nothing) and an empty proof. Malformed input answers False.
    """
    path = _hashes(proof)
    if path is None or not _is_hash(old_root) or not _is_hash(new_root):
        return False
    if not (_valid_size(old_size) and _valid_size(new_size)) or old_size > new_size:
        return False
    old_root, new_root = bytes(old_root), bytes(new_root)
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root

"""Input validation shared by the numeric modules: loud errors that name the argument."""

from __future__ import annotations

import numpy as np


class DtypeError(TypeError, ValueError):
    """A wrong dtype: a TypeError by Python's convention, and a ValueError like every
    other bad input here, so ``except ValueError`` catches all of them."""


def float_array(value, name: str) -> np.ndarray:
    """``value`` as a floating NumPy array, or a clear error naming ``name``.

    Python floats become float64 0-d arrays; float16/32/64 arrays keep their dtype, and so do
    complex128 arrays, which every kernel accepts for complex-step checking (f'(x) ~
    Im f(x + ih) / h): the kernels are analytic in their input, and their non-analytic pieces
    (ReLU's kink, the max of log-sum-exp, abs) act on the real part. Integers, booleans,
    complex64, strings and objects are refused (:class:`DtypeError`), and so are NaN and +-inf
    (ValueError): a silent cast or a NaN that propagates through a backward pass is a wrong
    answer that looks like a right one.
    """
    if isinstance(value, float):
        arr = np.asarray(value, dtype=np.float64)
    else:
        arr = np.asarray(value) if not isinstance(value, np.ndarray) else value
        if arr.dtype.kind != "f" and arr.dtype != np.complex128:
            raise DtypeError(
                f"{name} must be an array of real floats (float16/32/64), or complex128 for "
                f"complex-step checking, got dtype {arr.dtype}"
            )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def real_number(value, name: str, *, positive: bool = False, nonnegative: bool = False,
                infinite: bool = False) -> float:
    """``value``, a finite real scalar (a bool is refused), as a float, or a clear error naming
    ``name``; ``positive`` asks for > 0, ``nonnegative`` for >= 0; ``infinite`` also accepts
    +-inf (NaN never)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if np.isnan(value) or (not infinite and not np.isfinite(value)):
        raise ValueError(f"{name} must be {'a number' if infinite else 'finite'}, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


def class_labels(value, name: str, shape: tuple, n_classes: int) -> np.ndarray:
    """``value`` as integer class indices of the given shape in [0, n_classes), or an error naming ``name``."""
    labels = np.asarray(value)
    if labels.dtype.kind not in "iu":
        raise DtypeError(f"{name} must be integers (class indices), got dtype {labels.dtype}")
    if labels.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name} must lie in [0, {n_classes - 1}] for {n_classes} classes, "
                         f"got values in [{labels.min()}, {labels.max()}]")
    return labels


def same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same shape, "
                         f"got {a_name} {a.shape} and {b_name} {b.shape}")


def ndim(a: np.ndarray, name: str, n: int, what: str) -> None:
    """Raise ValueError unless ``a`` has ``n`` dimensions; ``what`` names them, e.g. "(N, D)"."""
    if a.ndim != n:
        raise ValueError(f"{name} must be {n}-D {what}, got shape {a.shape}")


def working_precision(a: np.ndarray) -> np.ndarray:
    """``a`` in at least float32 (``a`` itself when it already is): float16 has too little range
    and precision for z - max(z), x - mean and squares, so its kernels compute in float32."""
    return a.astype(np.promote_types(a.dtype, np.float32), copy=False)


def frozen_copies(*arrays: np.ndarray) -> list[np.ndarray]:
    """Read-only copies, for what a forward pass caches of its arguments and of the outputs it
    returns: an in-place edit of those afterwards (``x *= 2``, ``h *= 0.5``) cannot change
    the gradient computed from the cache."""
    out = []
    for a in arrays:
        kept = np.array(a, copy=True)
        kept.flags.writeable = False
        out.append(kept)
    return out


def frozen(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays themselves, made read-only: what a forward pass caches of intermediates only
    it holds (no copy needed; an edit through the cache raises)."""
    for a in arrays:
        a.flags.writeable = False
    return list(arrays)


def cache_of(cache, kind: type, forward: str):
    """``cache`` if it is a ``kind`` (the cache ``forward`` returns), else a TypeError naming
    both: a tuple of the wrong kind would otherwise fail deep inside the backward pass."""
    if not isinstance(cache, kind):
        raise TypeError(f"cache must be the {kind.__name__} that {forward} returns, "
                        f"got {type(cache).__name__}")
    return cache


def accumulation_dtype(*arrays) -> np.dtype:
    """float64, or complex128 when an array is complex (the complex step): the precision every
    statistic and sum over a batch is accumulated in, whatever the inputs' dtype."""
    return np.result_type(*arrays, np.float64)


def complex_if(dtype, *arrays) -> np.dtype:
    """``dtype``, made complex when one of ``arrays`` is: a complex step through any argument
    must reach the result, not be cast away."""
    if any(np.iscomplexobj(a) for a in arrays):
        return np.result_type(dtype, np.complex128)
    return np.dtype(dtype)


def scalar(value) -> float | complex:
    """A 0-d result (a loss, a norm) as a Python number: a float, or a complex under the complex
    step, whose imaginary part is the derivative being measured (``float()`` would raise)."""
    return complex(value) if np.iscomplexobj(value) else float(value)


def sum_of_squares(a: np.ndarray):
    """sum of a_i^2 accumulated in float64 (complex128 under the complex step, where a_i^2 keeps
    the imaginary part that |a_i|^2 would drop): a float16 square overflows above 256, and a
    float32 sum of 1e6 squares of about 1 is off by ~2e-8 relative (measured 1.7e-8)."""
    flat = a.astype(accumulation_dtype(a), copy=False).ravel()
    # np.dot: no temporary, an overflow raises under np.errstate (einsum's would pass silently),
    # and it is not the matmul whose multiply-adds the backprop page counts
    return np.dot(flat, flat)


def float_array_unscanned(value, name: str) -> np.ndarray:
    """``value`` as an array with :func:`float_array`'s dtype check but not its scan for NaN and
    inf: for a kernel that sums every entry anyway and hands the sum to :func:`finite_by_sum`, so
    that the check does not cost a pass of its own over a large array. The same dtypes are
    accepted and the same errors raised."""
    if isinstance(value, float):
        return float_array(value, name)              # one number: its scan costs nothing
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind != "f" and arr.dtype != np.complex128:   # the dtypes float_array accepts
        float_array(np.empty(0, arr.dtype), name)    # raises float_array's dtype error, word for word
    return arr


def finite_by_sum(total: np.ndarray, arr: np.ndarray, name: str) -> bool:
    """Raise :func:`float_array`'s error if ``arr`` holds NaN or +-inf, given ``total``: sums
    that together cover every entry of ``arr``, computed in at least its precision. Returns
    whether ``total`` is finite.

    A NaN or an infinite entry makes its sum NaN or infinite, so finite sums prove ``arr``
    finite without a scan of its own. Sums that are not finite call for the scan: it finds the
    NaN or inf and raises float_array's error, or finds none, and then a sum of finite entries
    overflowed: False, and the caller decides (a kernel whose result is that sum refuses the
    input, one that summed only to check carries on)."""
    if np.isfinite(total).all():
        return True
    float_array(arr, name)
    return False


def too_large(arr: np.ndarray, name: str, what: str) -> ValueError:
    """The error for finite entries too large for a kernel's float64 arithmetic: ``what``
    overflowed."""
    return ValueError(f"{name} is too large: {what} overflows (largest magnitude {np.max(np.abs(arr)):.3g})")

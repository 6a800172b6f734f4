"""A strict stand-in for CuPy: the GPU code path, checked on a machine without a GPU.

The scattering core takes every array operation from ``backend.xp`` (NumPy or CuPy).
A NumPy call that slips onto a CuPy array works on NumPy, so the CPU tests never
see it, and fails (or silently copies to the host) only on a device. This module
wraps host arrays in :class:`StrictArray`, which behaves as a CuPy array where the
core needs it and is stricter where CuPy would be lenient:

* no implicit conversion to NumPy: ``np.asarray(a)`` raises, as on CuPy (``.get()``
  and ``asnumpy`` are the explicit ways);
* no mixing with NumPy arrays: ``a + numpy_array`` and ``xp.matmul(a, numpy_array)``
  raise, as on CuPy;
* no ``np.*`` call on it: NumPy functions and ufuncs are recorded in
  :attr:`StrictModule.numpy_calls` and raise :class:`StrictBackendError` (CuPy
  would often dispatch them to itself; the core must not rely on that). NumPy
  scalars in arithmetic are allowed, as CuPy allows them.

It also keeps a "device" memory account (bytes of the live arrays it created, and
their peak) and can raise an ``OutOfMemoryError`` above a set limit, so the batch
halving on out-of-memory is testable. Only what the core uses is implemented; the
arithmetic is NumPy's (and ``scipy.fft``'s), so results equal the NumPy backend's.
"""

import operator
import weakref
from numbers import Number

import numpy as np
import scipy.fft

from skscatharm._core.backend import Backend


class StrictBackendError(TypeError):
    """A NumPy function or ufunc was called on a stand-in (device) array."""


class OutOfMemoryError(MemoryError):
    """Stand-in for ``cupy.cuda.memory.OutOfMemoryError`` (recognised by its name)."""


#: Ufuncs that Python operators reach when a NumPy scalar is the left operand
#: (``np.float64(2) * a`` calls ``np.multiply``): allowed with scalar co-operands.
_SCALAR_OPERATOR_UFUNCS = {
    np.add,
    np.subtract,
    np.multiply,
    np.true_divide,
    np.power,
    np.negative,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.equal,
    np.not_equal,
}


def _is_scalar(value):
    return isinstance(value, (Number, np.generic))


class StrictArray:
    """A host array that behaves as a device array (see the module docstring).

    Parameters
    ----------
    data : ndarray
        The wrapped array (never handed out: :meth:`get` returns a copy).
    module : StrictModule
        The module that created it (its memory account).
    """

    __slots__ = ("_data", "_module", "__weakref__")

    def __init__(self, data, module):
        if not isinstance(data, np.ndarray):
            raise TypeError(f"StrictArray wraps an ndarray, got {type(data)}")
        self._data = data
        self._module = module

    # -- attributes -------------------------------------------------------------
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    T = property(lambda self: self._wrap(self._data.T))

    def _wrap(self, data):
        return self._module._wrap(data)

    def __repr__(self):
        return f"StrictArray(shape={self.shape}, dtype={self.dtype})"

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (self._wrap(row) for row in self._data)

    # -- refused conversions and NumPy calls ---------------------------------------
    def __array__(self, *args, **kwargs):
        # CuPy's own message: the host copy must be explicit.
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_function__(self, func, types, args, kwargs):
        name = f"np.{func.__name__}"
        self._module.numpy_calls.append(name)
        raise StrictBackendError(f"{name} called on a device array")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        others = [x for x in inputs if not isinstance(x, StrictArray)]
        if (
            method == "__call__"
            and not kwargs
            and ufunc in _SCALAR_OPERATOR_UFUNCS
            and others
            and all(_is_scalar(x) for x in others)
        ):
            values = [x._data if isinstance(x, StrictArray) else x for x in inputs]
            return self._wrap(np.asarray(ufunc(*values)))
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        self._module.numpy_calls.append(name)
        raise StrictBackendError(f"{name} called on a device array")

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def get(self):
        """Copy to a NumPy array (CuPy's explicit device-to-host transfer)."""
        return self._data.copy()

    # -- indexing ----------------------------------------------------------------
    def __getitem__(self, key):
        return self._wrap(self._data[self._module._index(key)])

    def __setitem__(self, key, value):
        self._data[self._module._index(key)] = self._module._operand(value)

    # -- methods the core uses -------------------------------------------------------
    def reshape(self, *shape):
        return self._wrap(self._data.reshape(*shape))

    def transpose(self, *axes):
        return self._wrap(self._data.transpose(*axes))

    def view(self, dtype):
        return self._wrap(self._data.view(dtype))

    def astype(self, dtype, copy=True):
        return self._wrap(self._data.astype(dtype, copy=copy))

    def copy(self):
        return self._wrap(self._data.copy())

    def sum(self, axis=None, dtype=None):
        return self._wrap(np.asarray(self._data.sum(axis=axis, dtype=dtype)))

    def all(self, axis=None):
        return self._wrap(np.asarray(self._data.all(axis=axis)))

    def any(self, axis=None):
        return self._wrap(np.asarray(self._data.any(axis=axis)))


def _binary(op, reflected=False):
    def method(self, other):
        other = self._module._operand(other)
        left, right = (other, self._data) if reflected else (self._data, other)
        return self._wrap(np.asarray(op(left, right)))

    return method


def _unary(op):
    def method(self):
        return self._wrap(np.asarray(op(self._data)))

    return method


for _name, _op in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "pow": operator.pow,
    "matmul": operator.matmul,
}.items():
    setattr(StrictArray, f"__{_name}__", _binary(_op))
    setattr(StrictArray, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}.items():
    setattr(StrictArray, f"__{_name}__", _binary(_op))
StrictArray.__neg__ = _unary(operator.neg)
StrictArray.__abs__ = _unary(operator.abs)
# Equality is elementwise, so the arrays are not hashable (as NumPy's and CuPy's).
StrictArray.__hash__ = None


class _FFT:
    """``cupyx.scipy.fft`` as far as the core uses it."""

    def __init__(self, module):
        self._module = module

    def irfftn(self, x, s=None, axes=None):
        """Inverse real FFT (``scipy.fft.irfftn`` without ``workers``, as CuPy's).

        cuFFT overwrites the input of a complex-to-real transform, so CuPy copies
        it first: the copy is made here too, for the memory account.
        """
        copy = self._module._wrap(self._module._operand(x, scalars=False).copy())
        return self._module._wrap(scipy.fft.irfftn(copy._data, s=s, axes=axes))


class _MemoryPool:
    """``cupy.get_default_memory_pool()``: nothing is cached, so nothing to free."""

    def __init__(self, module):
        self._module = module

    def free_all_blocks(self):
        self._module.frees += 1

    def used_bytes(self):
        return self._module.live_bytes


class StrictModule:
    """The array module of the stand-in: CuPy's functions that the core calls.

    Parameters
    ----------
    memory_limit : int or None
        Raise :class:`OutOfMemoryError` when the live arrays would exceed this many
        bytes (``None``: no limit).

    Attributes
    ----------
    numpy_calls : list of str
        NumPy functions and ufuncs that were called on a stand-in array (each
        raised :class:`StrictBackendError`).
    live_bytes, peak_bytes : int
        Bytes of the arrays this module created that are still alive, and their
        maximum since the last :meth:`reset_peak`.
    out_of_memory : int
        Times an allocation was refused.
    frees : int
        Calls of ``get_default_memory_pool().free_all_blocks()``.
    """

    OutOfMemoryError = OutOfMemoryError

    def __init__(self, memory_limit=None):
        self.memory_limit = memory_limit
        self.numpy_calls = []
        self.live_bytes = 0
        self.peak_bytes = 0
        self.out_of_memory = 0
        self.frees = 0
        self._owners = set()
        self.fft = _FFT(self)
        self._pool = _MemoryPool(self)

    # -- the memory account ----------------------------------------------------
    def _release(self, key, nbytes):
        self._owners.discard(key)
        self.live_bytes -= nbytes

    def _wrap(self, data):
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)
        owner = data
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        key = id(owner)
        if key not in self._owners:
            nbytes = owner.nbytes
            if (
                self.memory_limit is not None
                and self.live_bytes + nbytes > self.memory_limit
            ):
                self.out_of_memory += 1
                raise OutOfMemoryError(
                    f"Out of memory allocating {nbytes:,} bytes "
                    f"(allocated so far: {self.live_bytes:,} bytes)."
                )
            self._owners.add(key)
            self.live_bytes += nbytes
            self.peak_bytes = max(self.peak_bytes, self.live_bytes)
            weakref.finalize(owner, self._release, key, nbytes)
        return StrictArray(data, self)

    def reset_peak(self):
        """Start a new peak from the bytes alive now."""
        self.peak_bytes = self.live_bytes

    # -- operands ---------------------------------------------------------------
    def _operand(self, value, scalars=True):
        """The host array behind ``value``; NumPy arrays are refused, as on CuPy."""
        if isinstance(value, StrictArray):
            return value._data
        if scalars and _is_scalar(value):
            return value
        raise TypeError(f"Unsupported type {type(value)}")

    def _index(self, key):
        items = key if isinstance(key, tuple) else (key,)
        for item in items:
            if isinstance(item, (np.ndarray, StrictArray, list)):
                raise TypeError("the stand-in supports basic indexing only")
        return key

    # -- creation and transfers --------------------------------------------------
    def asarray(self, a, dtype=None):
        """Host data to the device (a copy), or a device array, cast to ``dtype``."""
        if isinstance(a, StrictArray):
            if dtype is None or np.dtype(dtype) == a.dtype:
                return a
            return a.astype(dtype)
        return self._wrap(np.array(a, dtype=dtype, copy=True))

    def asnumpy(self, a):
        """Device array to a NumPy copy."""
        if isinstance(a, StrictArray):
            return a.get()
        return np.asarray(a)

    def empty(self, shape, dtype=float):
        return self._wrap(np.empty(shape, dtype=dtype))

    def zeros(self, shape, dtype=float):
        return self._wrap(np.zeros(shape, dtype=dtype))

    def ascontiguousarray(self, a):
        return self._wrap(np.ascontiguousarray(self._operand(a, scalars=False)))

    def get_default_memory_pool(self):
        return self._pool

    # -- computations -------------------------------------------------------------
    def _arrays(self, arrays):
        return [self._operand(a, scalars=False) for a in arrays]

    def exp(self, x):
        return self._wrap(np.exp(self._operand(x, scalars=False)))

    def sqrt(self, x, out=None):
        data = self._operand(x, scalars=False)
        if out is None:
            return self._wrap(np.sqrt(data))
        np.sqrt(data, out=self._operand(out, scalars=False))
        return out

    def stack(self, arrays, axis=0):
        return self._wrap(np.stack(self._arrays(arrays), axis=axis))

    def concatenate(self, arrays, axis=0):
        return self._wrap(np.concatenate(self._arrays(arrays), axis=axis))

    def matmul(self, a, b):
        return self._wrap(np.matmul(*self._arrays((a, b))))

    def einsum(self, subscripts, *operands):
        return self._wrap(np.asarray(np.einsum(subscripts, *self._arrays(operands))))


def strict_backend(memory_limit=None):
    """A :class:`~skscatharm._core.backend.Backend` named "cupy" over the stand-in."""
    module = StrictModule(memory_limit)
    return Backend("cupy", module, module.fft)

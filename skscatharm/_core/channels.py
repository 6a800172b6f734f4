"""Channel weights ``w_c(Z)``: the charges each density channel puts on an atom (doc/definition.rst §1)."""

from collections.abc import Callable, Mapping
from numbers import Real

import numpy as np

#: Largest atomic number with a built-in ``valence``/``core`` weight.
MAX_BUILTIN_VALENCE_Z = 36


def valence_electrons(Z):
    """Number of valence electrons of a main-group atom.

    ``Z`` for hydrogen and helium, ``Z - 2`` for the second period, ``Z - 10`` for the
    third and ``Z - 18`` for K to Zn (the 3d electrons of transition metals count as
    valence). For Ga to Kr the filled 3d shell is core, so their main-group valence is
    ``Z - 28`` (Br: 7).

    Parameters
    ----------
    Z : array-like of int
        Atomic numbers, ``1 <= Z <= 36``.

    Returns
    -------
    valence : ndarray of float64
    """
    Z = np.asarray(Z)
    if np.any(Z < 1) or np.any(Z > MAX_BUILTIN_VALENCE_Z):
        raise ValueError(
            f"valence electrons are defined for 1 <= Z <= {MAX_BUILTIN_VALENCE_Z}"
        )
    core = np.select([Z <= 2, Z <= 10, Z <= 18, Z <= 30], [0, 2, 10, 18], default=28)
    return (Z - core).astype(np.float64)


def _full(Z):
    return np.asarray(Z, dtype=np.float64)


def _core(Z):
    return np.asarray(Z, dtype=np.float64) - valence_electrons(Z)


_BUILTIN = {
    "full": (_full, None),
    "valence": (valence_electrons, MAX_BUILTIN_VALENCE_Z),
    "core": (_core, MAX_BUILTIN_VALENCE_Z),
}

#: Element symbols, by atomic number (index 0 unused): a symbol names the channel of
#: that element alone.
ELEMENT_SYMBOLS = (
    "",
    *"H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu "
    "Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba "
    "La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb "
    "Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs "
    "Mt Ds Rg Cn Nh Fl Mc Lv Ts Og".split(),
)


class ElementIndicator:
    """Weight 1 on the atoms of one element and 0 on every other atom.

    The channel named by an element's symbol (``"C"``, ``"O"``, ...): its density
    holds only that element's atoms, so that fields of several such channels tell
    the neighbours' elements apart. A class, not a closure, so that transformers
    and models that use it can be pickled.

    Parameters
    ----------
    atomic_number : int
    """

    def __init__(self, atomic_number):
        self.atomic_number = int(atomic_number)

    def __call__(self, Z):
        return (np.asarray(Z) == self.atomic_number).astype(np.float64)

    def __eq__(self, other):
        return (
            isinstance(other, ElementIndicator)
            and other.atomic_number == self.atomic_number
        )

    def __hash__(self):
        return hash((ElementIndicator, self.atomic_number))

    def __repr__(self):
        return f"ElementIndicator({self.atomic_number})"


def _named_channel(name):
    """The weight function and largest defined ``Z`` of a built-in channel name."""
    if name in _BUILTIN:
        return _BUILTIN[name]
    if name in ELEMENT_SYMBOLS[1:]:
        return ElementIndicator(ELEMENT_SYMBOLS.index(name)), None
    raise ValueError(
        f"unknown channel {name!r}; built-in channels are {sorted(_BUILTIN)} and "
        "element symbols ('H', 'C', ...: that element's atoms alone), or pass a "
        "mapping Z -> weight"
    )


class ChannelOutputError(ValueError):
    """A channel's weight function returned unusable weights.

    Raised for weights that are not numbers, not one per atom, or not finite: a
    fault of the weight function itself, told apart from an element it does not
    define (a ``KeyError`` or ``ValueError`` from the function).
    """


class Channel:
    """One density channel: a name and a weight function of the atomic number.

    Parameters
    ----------
    name : str
        Used in feature names.
    weights : callable
        Maps an integer array of atomic numbers to float weights; raises ``KeyError``
        or ``ValueError`` for an element it does not define.
    max_Z : int or None
        Largest atomic number defined, for error messages.
    """

    def __init__(self, name, weights, max_Z=None):
        self.name = name
        self.weights = weights
        self.max_Z = max_Z

    def __call__(self, Z):
        """Weights of the atoms ``Z`` (float64 array, same shape).

        Errors of the weight function itself (an undefined element) propagate;
        unusable weights raise :class:`ChannelOutputError`.
        """
        Z = np.asarray(Z)
        raw = self.weights(Z)
        try:
            weights = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ChannelOutputError(
                f"channel {self.name!r} returned weights that are not numbers ({error})"
            ) from error
        if weights.shape != Z.shape:
            raise ChannelOutputError(
                f"channel {self.name!r} returned weights of shape {weights.shape} "
                f"for atoms of shape {Z.shape}; a weight function must return one "
                "weight per atom, an array of the shape of its input"
            )
        finite = np.isfinite(weights)
        if not np.all(finite):
            elements = sorted({int(z) for z in Z[~finite]})
            values = sorted({str(w) for w in weights[~finite]})
            raise ChannelOutputError(
                f"channel {self.name!r} returned non-finite weights ({', '.join(values)})"
                f" for element(s) Z={elements}; weights must be finite numbers"
            )
        return weights


def _mapping_weights(mapping):
    table = {int(z): float(w) for z, w in mapping.items()}

    def weights(Z):
        return np.array([table[int(z)] for z in np.ravel(Z)]).reshape(np.shape(Z))

    return weights


def resolve_channels(channels):
    """Turn the ``channels`` parameter into a list of :class:`Channel`.

    Parameters
    ----------
    channels : sequence
        Each item is a built-in name (``"full"``, ``"valence"``, ``"core"``, or an
        element's symbol such as ``"C"``: weight 1 on that element's atoms, 0 on
        the others), a mapping ``Z -> weight``, a callable ``Z_array -> weights``,
        or a pair ``(name, mapping_or_callable)``.

    Returns
    -------
    list of Channel
    """
    if isinstance(channels, str | Mapping) or callable(channels):
        raise TypeError(
            "channels must be a sequence of channels, e.g. ('full', 'valence', "
            f"'core'); got {type(channels).__name__}"
        )
    resolved = []
    for index, item in enumerate(channels):
        name = None
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, item = item
        if isinstance(item, str):
            function, max_Z = _named_channel(item)
            resolved.append(Channel(name or item, function, max_Z))
        elif isinstance(item, Mapping):
            if not all(isinstance(w, Real) for w in item.values()):
                raise TypeError(f"channel {index}: weights must be real numbers")
            # Caught here, with the channel's parameters at hand, rather than as
            # NaN coefficients later.
            infinite = {z: w for z, w in item.items() if not np.isfinite(w)}
            if infinite:
                raise ValueError(
                    f"channel {index}: weights must be finite, got {infinite}"
                )
            resolved.append(Channel(name or f"channel{index}", _mapping_weights(item)))
        elif isinstance(item, Callable):
            resolved.append(Channel(name or f"channel{index}", item))
        else:
            raise TypeError(
                f"channel {index} must be a name, a mapping Z -> weight or a "
                f"callable; got {type(item).__name__}"
            )
    if not resolved:
        raise ValueError("at least one channel is needed")
    names = [channel.name for channel in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"channel names must be unique, got {names}")
    return resolved


def channel_weights(channels, Z, molecule_index):
    """Weights of every channel for one molecule, shape ``(n_channels, n_atoms)``.

    Raises a ``ValueError`` naming the molecule and the element when a channel does
    not define an element of the molecule, and one naming the molecule and the
    fault when a channel returns weights that are not numbers, not one per atom,
    or not finite.
    """
    rows = []
    for channel in channels:
        try:
            rows.append(channel(Z))
        except ChannelOutputError as error:
            raise ValueError(f"molecule {molecule_index}: {error}") from error
        except (KeyError, ValueError, IndexError) as error:
            undefined = sorted(
                {int(z) for z in Z if not _defines(channel, int(z))}
            ) or sorted(set(Z.tolist()))
            limit = f" (defined for Z <= {channel.max_Z})" if channel.max_Z else ""
            raise ValueError(
                f"molecule {molecule_index}: channel {channel.name!r} has no weight "
                f"for element(s) Z={undefined}{limit}"
            ) from error
    return np.stack(rows)


def _defines(channel, z):
    try:
        channel(np.array([z]))
    except ChannelOutputError:  # defined, only badly: not this error's subject
        return True
    except (KeyError, ValueError, IndexError):
        return False
    return True

"""Channel sets for the atom models' descriptors, by name.

* ``charges``: the default ``("full", "valence", "core")``, densities weighted by
  the nuclear, valence and core charges;
* ``elements``: one density per element, weight 1 on that element's atoms and 0 on
  the others, so that the fields around an atom tell its neighbours' elements apart
  (as species-resolved descriptors such as SOAP do);
* ``both``: the charge channels and the element channels.
"""

SYMBOLS = {1: "H", 6: "C", 7: "N", 8: "O", 9: "F", 16: "S", 17: "Cl"}

CHARGES = ("full", "valence", "core")

CHANNEL_SETS = ("charges", "elements", "both")


def element_channels(elements):
    """One channel per element: ``(symbol, {Z: 1 for that element, 0 for the others})``.

    Parameters
    ----------
    elements : iterable of int
        Every atomic number the channels must define.
    """
    elements = sorted({int(z) for z in elements})
    return tuple(
        (
            SYMBOLS.get(element, f"Z{element}"),
            {z: float(z == element) for z in elements},
        )
        for element in elements
    )


def channel_set(name, elements):
    """The ``channels`` argument of the atom models for the set ``name``."""
    if name == "charges":
        return CHARGES
    if name == "elements":
        return element_channels(elements)
    if name == "both":
        return CHARGES + element_channels(elements)
    raise ValueError(f"channel set must be one of {CHANNEL_SETS}, got {name!r}")

"""Channel sets for the atom models' descriptors, by name.

* ``charges``: the default ``("full", "valence", "core")``, densities weighted by
  the nuclear, valence and core charges;
* ``elements``: one density per element (the channels named by element symbols),
  so that the fields around an atom tell its neighbours' elements apart (as
  species-resolved descriptors such as SOAP do);
* ``both``: the charge channels and the element channels.
"""

from skscatharm._core.channels import ELEMENT_SYMBOLS

CHARGES = ("full", "valence", "core")

CHANNEL_SETS = ("charges", "elements", "both")


def element_channels(elements):
    """The symbols of ``elements`` (atomic numbers), in increasing ``Z``."""
    return tuple(ELEMENT_SYMBOLS[z] for z in sorted({int(z) for z in elements}))


def channel_set(name, elements):
    """The ``channels`` argument of the atom models for the set ``name``."""
    if name == "charges":
        return CHARGES
    if name == "elements":
        return element_channels(elements)
    if name == "both":
        return CHARGES + element_channels(elements)
    raise ValueError(f"channel set must be one of {CHANNEL_SETS}, got {name!r}")

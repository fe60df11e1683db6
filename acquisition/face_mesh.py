"""Facial landmark schemes: MediaPipe face-mesh indices by clinical name, and marker aliases.

MediaPipe's face mesh (468 points, 478 with ``refine_landmarks=True``) names
its eye and iris sets from the *subject's* point of view: ``LEFT_EYE`` /
``LEFT_IRIS`` (points 263, 362, 386, 374, 473-477) are on the subject's left,
which is the right half of an unmirrored camera image. All names here use
the patient's sides.

The canonical names in :data:`LANDMARKS` are the vocabulary the feature code
uses. A marker set maps its own point labels onto these names
(``MotionBlock.facial_points`` lists the labels it covers), so marker and
camera data feed the same measures.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

#: Iris diameter of adults, mm (Emotrics scale reference; shared/docs/clinical.md).
IRIS_DIAMETER_MM = 11.77

#: canonical landmark name -> MediaPipe face-mesh index (patient's sides).
LANDMARKS: dict[str, int] = {
    "iris_center_right": 468,
    "iris_center_left": 473,
    "brow_mid_right": 105,
    "brow_mid_left": 334,
    "brow_inner_right": 107,
    "brow_inner_left": 336,
    "brow_outer_right": 70,
    "brow_outer_left": 300,
    "upper_lid_right": 159,
    "upper_lid_left": 386,
    "lower_lid_right": 145,
    "lower_lid_left": 374,
    "eye_outer_right": 33,
    "eye_outer_left": 263,
    "eye_inner_right": 133,
    "eye_inner_left": 362,
    "commissure_right": 61,
    "commissure_left": 291,
    "upper_lip_mid": 0,
    "lower_lip_mid": 17,
    "inner_upper_lip_mid": 13,
    "inner_lower_lip_mid": 14,
    "lower_lip_right": 84,
    "lower_lip_left": 314,
    "upper_lip_right": 37,
    "upper_lip_left": 267,
    "ala_right": 129,
    "ala_left": 358,
    "cheek_right": 50,
    "cheek_left": 280,
    "nose_tip": 1,
    "nasion": 168,
    "forehead": 10,
    "chin": 152,
}

#: iris boundary points (right iris 469-472, left iris 474-477) as
#: (horizontal pair, vertical pair) per side.
IRIS_RINGS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "right": ((469, 471), (470, 472)),
    "left": ((474, 476), (475, 477)),
}

#: Points that define the rigid head (little expression motion): used to
#: remove head motion by similarity alignment.
RIGID_POINTS: tuple[int, ...] = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 263, 362, 234, 454, 127, 356)


def side_name(name: str, side: str) -> str:
    """``side_name('commissure', 'left') -> 'commissure_left'`` (checked)."""
    key = f"{name}_{side}"
    if key not in LANDMARKS:
        raise KeyError(f"no landmark {key!r}")
    return key


@lru_cache(maxsize=1)
def neutral_face() -> np.ndarray:
    """A real neutral face in the head-fixed frame, shape (478, 3), mm.

    Made by ``scripts/make_neutral_face.py``: MediaPipe face mesh on the
    astronaut photograph shipped with scikit-image (public domain, NASA),
    scaled by the iris diameter, rotated so the inter-iris line is horizontal
    with the origin between the irises, and made left-right symmetric.
    """
    with resources.files("acquisition.data").joinpath("neutral_face_478.npy").open("rb") as fh:
        face = np.load(fh)
    face.flags.writeable = False
    return face


@lru_cache(maxsize=1)
def mirror_index() -> np.ndarray:
    """For each of the 478 points, the index of its left-right mirror, shape (478,)."""
    with resources.files("acquisition.data").joinpath("mirror_index_478.npy").open("rb") as fh:
        mirror = np.load(fh)
    mirror.flags.writeable = False
    return mirror


def iris_diameter(points: np.ndarray) -> np.ndarray:
    """Mean iris diameter of both eyes per frame.

    Parameters
    ----------
    points : ndarray, shape (..., 478, 3)
        Face-mesh coordinates with iris refinement.

    Returns
    -------
    ndarray, shape (...)
        In the units of ``points``.
    """
    diameters = []
    for pairs in IRIS_RINGS.values():
        for a, b in pairs:
            diameters.append(np.linalg.norm(points[..., a, :] - points[..., b, :], axis=-1))
    return np.mean(diameters, axis=0)

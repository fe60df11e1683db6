"""Regenerate acquisition/data/neutral_face_478.npy and mirror_index_478.npy.

Runs the MediaPipe face mesh (refine_landmarks) on the astronaut photograph
that scikit-image ships (a real face, public domain, NASA), converts to the
head-fixed millimetre frame (+x patient's left, +y up, +z out of the face,
origin between the irises, inter-iris line horizontal, scale from the iris
diameter 11.77 mm), pairs every point with its mirror image and averages
each pair into a symmetric neutral face.

    .venv/bin/python scripts/make_neutral_face.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

OUT = Path(__file__).resolve().parents[1] / "acquisition" / "data"


def main() -> None:
    import mediapipe as mp
    from skimage import data

    image = data.astronaut()
    height, width = image.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as mesh:
        result = mesh.process(image)
    lm = result.multi_face_landmarks[0].landmark
    px = np.array([[p.x * width, p.y * height, p.z * width] for p in lm])
    # image (x right, y down, z into screen) -> head frame (x patient's left, y up, z out of face)
    pts = np.stack([px[:, 0], -px[:, 1], -px[:, 2]], axis=1)
    right, left = pts[468], pts[473]
    centre = (right + left) / 2
    pts = pts - centre
    angle = np.arctan2((left - right)[1], (left - right)[0])
    c, s = np.cos(-angle), np.sin(-angle)
    pts = pts @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T
    diam = np.mean([np.linalg.norm(pts[a] - pts[b]) for a, b in ((469, 471), (470, 472), (474, 476), (475, 477))])
    pts *= 11.77 / diam
    mirrored = pts * np.array([-1, 1, 1])
    cost = np.linalg.norm(pts[:, None, :] - mirrored[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    mirror = np.empty(len(pts), dtype=np.int32)
    mirror[rows] = cols
    # make the pairing an involution (mirror[mirror[i]] == i)
    for i in range(len(pts)):
        j = mirror[i]
        if mirror[j] != i:
            mirror[j] = i
    sym = (pts + mirrored[mirror]) / 2
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "neutral_face_478.npy", sym.astype(np.float32))
    np.save(OUT / "mirror_index_478.npy", mirror)
    print("pairs with error > 3 mm:", int(np.sum(cost[rows, cols] > 3)), "of", len(pts))


if __name__ == "__main__":
    main()

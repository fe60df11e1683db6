"""Real-time biofeedback from live streams: left/right EMG RMS per muscle and facial symmetry.

:class:`BiofeedbackMonitor` is a recorder listener
(:data:`acquisition.lsl_record.Listener`). It keeps sliding windows of the
newest data and, at most ``rate_hz`` times a second, emits a *frame*
(a JSON-ready dict) to a sink::

    {"lsl_time": 1234.567,        # newest sample in the frame, recorder LSL clock (s)
     "t": 12.345,                 # the same on the session clock (s)
     "emg_window_s": 0.25,
     "emg": [{"muscle": "zygomaticus", "left_uv": 41.2, "right_uv": 17.9,
              "asymmetry_pct": 56.6}, ...],          # pairs with both sides recorded
     "symmetry_window_s": 0.5,
     "symmetry": {"brow": 0.97, "eye": 0.91, "mouth": 0.62, "overall": 0.83} | null,
     "stale": ["motion"]}         # streams with no data in the last second

EMG is band-passed causally (4th-order Butterworth, 20-450 Hz, capped at
0.45 x the rate) and its RMS taken over the last ``emg_window_s``;
``asymmetry_pct = 100 |L - R| / max(L, R)``. Symmetry per region is the
ratio (smaller / larger) of mirrored left and right distances, averaged over
the frames of the last ``symmetry_window_s``: brow = brow-to-iris height,
eye = lid opening, mouth = commissure-to-lip-centre distance; 1 means
symmetric. Ratios of distances do not depend on the head's position, scale
or the units of the stream.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import numpy as np

from .face_mesh import LANDMARKS
from .lsl_streams import EmgMapping, MotionLayout

_REGIONS = {
    "brow": (("brow_mid_left", "iris_center_left"), ("brow_mid_right", "iris_center_right")),
    "eye": (("upper_lid_left", "lower_lid_left"), ("upper_lid_right", "lower_lid_right")),
    "mouth": (("commissure_left", None), ("commissure_right", None)),
}


def landmark_symmetry(frames: np.ndarray) -> dict[str, float] | None:
    """Left/right symmetry of brow, eye and mouth over a window of face-mesh frames.

    Parameters
    ----------
    frames : ndarray, shape (n_frames, 478, 3)
        Any units; NaN frames are ignored.

    Returns
    -------
    dict or None
        ``{'brow', 'eye', 'mouth', 'overall'}`` in [0, 1]; None when no frame
        has a face.
    """
    ok = ~np.isnan(frames).any(axis=(1, 2))
    if not ok.any():
        return None
    f = frames[ok].astype(np.float64)
    lip_centre = (f[:, LANDMARKS["upper_lip_mid"]] + f[:, LANDMARKS["lower_lip_mid"]]) / 2
    out: dict[str, float] = {}
    for region, sides in _REGIONS.items():
        lengths = []
        for a, b in sides:
            other = lip_centre if b is None else f[:, LANDMARKS[b]]
            lengths.append(np.linalg.norm(f[:, LANDMARKS[a]] - other, axis=-1))
        left, right = lengths
        big = np.maximum(left, right)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(big > 0, np.minimum(left, right) / big, 1.0)
        out[region] = round(float(np.mean(ratio)), 4)
    out["overall"] = round(float(np.mean([out[r] for r in _REGIONS])), 4)
    return out


class EmgRms:
    """Causal band-pass and sliding RMS of several EMG channels.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    n_channels : int
    window_s : float
        RMS window, seconds.
    """

    def __init__(self, *, sfreq: float, n_channels: int, window_s: float = 0.25) -> None:
        from scipy.signal import butter

        high = min(450.0, 0.45 * sfreq)
        self.sos = butter(4, [20.0, high], btype="bandpass", fs=sfreq, output="sos")
        self.zi = np.zeros((self.sos.shape[0], 2, n_channels))  # filter state, starts at rest
        self.size = max(1, int(round(window_s * sfreq)))
        self.buffer = np.zeros((self.size, n_channels))
        self.filled = 0
        self.pos = 0

    def push(self, values: np.ndarray) -> None:
        """Add samples, shape (n_samples, n_channels), volts."""
        from scipy.signal import sosfilt

        clean = np.nan_to_num(np.asarray(values, dtype=np.float64))
        filtered, self.zi = sosfilt(self.sos, clean, axis=0, zi=self.zi)
        n = len(filtered)
        if n >= self.size:
            self.buffer[:] = filtered[-self.size :]
            self.pos, self.filled = 0, self.size
            return
        end = self.pos + n
        if end <= self.size:
            self.buffer[self.pos : end] = filtered
        else:
            split = self.size - self.pos
            self.buffer[self.pos :] = filtered[:split]
            self.buffer[: n - split] = filtered[split:]
        self.pos = end % self.size
        self.filled = min(self.size, self.filled + n)

    def rms(self) -> np.ndarray:
        """RMS per channel over the window, shape (n_channels,), volts."""
        if self.filled == 0:
            return np.zeros(self.buffer.shape[1])
        data = self.buffer if self.filled == self.size else self.buffer[: self.filled]
        return np.sqrt(np.mean(data**2, axis=0))


class BiofeedbackMonitor:
    """Compute biofeedback frames from recorder chunks and hand them to ``sink``.

    Parameters
    ----------
    sink : callable
        Receives each frame (dict, see the module docstring); must not block.
    origin : float
        Recorder LSL clock at session time 0, seconds.
    emg_mapping : EmgMapping, optional
    emg_sfreq : float
        Hz (required with ``emg_mapping``).
    motion_layout : MotionLayout, optional
    motion_sfreq : float
        Hz (required with ``motion_layout``).
    rate_hz : float
        Most frames per second.
    emg_window_s, symmetry_window_s : float
        Window lengths, seconds.
    """

    def __init__(self, sink: Callable[[dict[str, Any]], Any], *, origin: float,
                 emg_mapping: EmgMapping | None = None, emg_sfreq: float = 0.0,
                 motion_layout: MotionLayout | None = None, motion_sfreq: float = 0.0,
                 rate_hz: float = 20.0, emg_window_s: float = 0.25, symmetry_window_s: float = 0.5) -> None:
        self.sink = sink
        self.origin = origin
        self.period = 1.0 / rate_hz
        self.emg_window_s = emg_window_s
        self.symmetry_window_s = symmetry_window_s
        self._lock = threading.Lock()
        self._last_emit = -math.inf
        self._newest = {"emg": -math.inf, "motion": -math.inf}
        self.mapping = emg_mapping
        self.emg = None
        self.pairs: list[tuple[str, int, int]] = []
        if emg_mapping is not None:
            self.emg = EmgRms(sfreq=emg_sfreq, n_channels=len(emg_mapping.rows), window_s=emg_window_s)
            self._rows = np.asarray(emg_mapping.rows)
            self._scale = np.asarray(emg_mapping.scale)
            index = {(c.muscle, c.side): i for i, c in enumerate(emg_mapping.channels)}
            for channel in emg_mapping.channels:
                if channel.side == "left" and (channel.muscle, "right") in index:
                    self.pairs.append((channel.muscle, index[(channel.muscle, "left")],
                                       index[(channel.muscle, "right")]))
        self.layout = motion_layout
        self.frames: np.ndarray | None = None
        if motion_layout is not None and motion_layout.scheme.startswith("mediapipe"):
            n = max(1, int(round(symmetry_window_s * motion_sfreq)))
            self.frames = np.full((n, len(motion_layout.point_names), 3), np.nan)
            self._frame_pos = 0
            self._frame_scale = (np.array([motion_layout.width, motion_layout.height, motion_layout.width], float)
                                 if motion_layout.coordinates == "image_normalized" else np.ones(3))
        self.emitted = 0

    def __call__(self, kind: str, values: Any, local_times: np.ndarray) -> None:
        """Recorder listener: take one chunk, maybe emit a frame."""
        if kind == "markers" or len(local_times) == 0:
            return
        with self._lock:
            if kind == "emg" and self.emg is not None:
                self.emg.push(np.asarray(values)[:, self._rows] * self._scale)
            elif kind == "motion" and self.frames is not None:
                pts = np.asarray(values, dtype=np.float64).reshape(len(values), -1, 3)[-len(self.frames):]
                for frame in pts:
                    self.frames[self._frame_pos] = frame * self._frame_scale
                    self._frame_pos = (self._frame_pos + 1) % len(self.frames)
            else:
                return
            self._newest[kind] = float(local_times[-1])
            # EMG paces the frames; motion does while EMG is absent or silent
            emg_quiet = self.emg is None or self._newest[kind] - self._newest["emg"] > 0.5
            if (kind != "emg" and not emg_quiet) or self._newest[kind] - self._last_emit < self.period:
                return
            self._last_emit = self._newest[kind]
            frame = self.frame()
        self.sink(frame)
        self.emitted += 1

    def frame(self) -> dict[str, Any]:
        """The current biofeedback frame (see the module docstring)."""
        newest = max(self._newest.values())
        emg = []
        if self.emg is not None:
            rms_uv = self.emg.rms() * 1e6
            for muscle, left, right in self.pairs:
                lv, rv = float(rms_uv[left]), float(rms_uv[right])
                big = max(lv, rv)
                emg.append({"muscle": muscle, "left_uv": round(lv, 3), "right_uv": round(rv, 3),
                            "asymmetry_pct": round(100.0 * abs(lv - rv) / big, 2) if big > 0 else 0.0})
        symmetry = landmark_symmetry(self.frames) if self.frames is not None else None
        stale = [k for k, t in self._newest.items()
                 if (k == "emg" and self.emg is not None or k == "motion" and self.frames is not None)
                 and newest - t > 1.0]
        return {
            "lsl_time": newest,
            "t": round(newest - self.origin, 4),
            "emg_window_s": self.emg_window_s,
            "emg": emg,
            "symmetry_window_s": self.symmetry_window_s,
            "symmetry": symmetry,
            "stale": stale,
        }

"""A small keyword-spotting set spoken by espeak-ng, with MLPerf-Tiny-style features.

Every keyword is rendered by espeak-ng for each voice x speed x pitch (one "rendering"),
resampled to 16 kHz, trimmed, then ``augment`` times placed at a random offset in a
1 s clip, scaled, and mixed with synthetic background noise (white, pink or brown) at a
random SNR from ``snrs``. Optional extra classes: ``_silence_`` (noise only) and
``_unknown_`` (other words, one rendering per voice x speed x pitch). Features follow
the MLPerf Tiny KWS front end (``tf.signal``): 30 ms window, 20 ms hop, 40 mel bins
over 20-4,000 Hz, log, then MFCC (first ``num_coeffs``) -> x (N, 49, num_coeffs, 1);
``feature="logmel"`` keeps the log-mel bins instead.

Renderings (not clips) are split between train and test, so no test clip shares its
speech with a training clip. All randomness is seeded; espeak-ng is deterministic for
a given version, which is part of the cache key. The result is cached as .npz.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from edgeq.errors import DataError, MissingToolError

from ._common import Dataset, cache_dir, load_cached, make_dataset, recipe_key, store_cached

log = logging.getLogger(__name__)

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
#: Speech Commands' auxiliary words, used for the ``_unknown_`` class.
UNKNOWN_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow")
VOICES = (
    "en-us+m3", "en-us+f2", "en+m1", "en+f3",
    "en-gb-x-rp+m5", "en-gb-scotland+f4", "en-029+m2", "en-us-nyc+f1",
)  # fmt: skip
SPEEDS = (130, 165, 200)  # words per minute (espeak -s)
PITCHES = (35, 55, 75)  # 0..99 (espeak -p)
SNRS = (30.0, 20.0, 10.0, 5.0)  # dB of speech over background noise
SILENCE, UNKNOWN = "_silence_", "_unknown_"

SAMPLE_RATE = 16_000
CLIP_SAMPLES = SAMPLE_RATE  # 1 s
FRAME_LENGTH, FRAME_STEP, FFT_LENGTH = 480, 320, 512  # 30 ms, 20 ms at 16 kHz
NUM_MEL_BINS, MEL_LOW_HZ, MEL_HIGH_HZ = 40, 20.0, 4000.0
# Bump when the generation below changes, so stale cache files are not reused.
_GENERATOR_VERSION = 1


def find_espeak(espeak: str | os.PathLike | None = None) -> str:
    """The espeak-ng executable: ``espeak``, else ``$EDGEQ_ESPEAK``, else ``espeak-ng`` on PATH.

    Raises MissingToolError naming the apt package when it is not there.
    """
    candidate = str(espeak or os.environ.get("EDGEQ_ESPEAK") or "espeak-ng")
    found = shutil.which(candidate)
    if found is None:
        raise MissingToolError(
            f"espeak-ng not found ({candidate}): install it with `sudo apt-get install espeak-ng` "
            "(or run `scripts/setup.sh`)"
        )
    return found


def espeak_version(exe: str) -> str:
    """The first line of ``espeak-ng --version`` (part of the cache key: voices change)."""
    out = subprocess.run([exe, "--version"], check=True, capture_output=True, text=True).stdout
    return out.splitlines()[0].split("Data at")[0].strip() if out else "unknown"


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise DataError(f"espeak-ng wrote {w.getsampwidth() * 8}-bit audio; expected 16-bit")
        raw = w.readframes(w.getnframes())
        channels, rate = w.getnchannels(), w.getframerate()
    audio = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        audio = audio.reshape(-1, channels).mean(axis=1)
    return audio, rate


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return audio
    from math import gcd

    from scipy.signal import resample_poly  # scipy comes with scikit-learn

    g = gcd(SAMPLE_RATE, rate)
    return resample_poly(audio, SAMPLE_RATE // g, rate // g).astype(np.float32)


def _trim(audio: np.ndarray, rel_threshold: float = 0.02) -> np.ndarray:
    # espeak pads words with silence; cut it so the random shift spans the whole second.
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak == 0.0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) > rel_threshold * peak)
    return audio[loud[0] : loud[-1] + 1]


def speak(exe: str, text: str, voice: str, speed: int, pitch: int, wav: Path) -> np.ndarray:
    """Render ``text`` with espeak-ng through the file ``wav`` (removed afterwards);
    returns trimmed float32 audio at 16 kHz in [-1, 1]."""
    cmd = [exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text]
    try:
        subprocess.run(cmd, check=True, capture_output=True, cwd=wav.parent)
    except subprocess.CalledProcessError as err:
        msg = (err.stderr or b"").decode(errors="replace").strip() or f"exit code {err.returncode}"
        raise DataError(f"espeak-ng failed for voice {voice!r} ({msg}); list voices with `espeak-ng --voices=en`") from None
    audio, rate = _read_wav(wav)
    wav.unlink(missing_ok=True)
    return _trim(_resample(audio, rate))


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-RMS background noise: white, pink (1/f power) or brown (1/f^2), chosen by rng."""
    kind = rng.integers(3)
    white = rng.standard_normal(n)
    if kind == 0:
        out = white
    else:
        spectrum = np.fft.rfft(white)
        f = np.fft.rfftfreq(n, d=1.0 / SAMPLE_RATE)
        f[0] = f[1]  # no DC blow-up
        spectrum /= f ** (0.5 if kind == 1 else 1.0)
        out = np.fft.irfft(spectrum, n)
    out = out - out.mean()
    return (out / (np.sqrt(np.mean(out**2)) + 1e-12)).astype(np.float32)


def _place(speech: np.ndarray, rng: np.random.Generator, snrs: tuple[float, ...]) -> np.ndarray:
    """One augmented 1 s clip: random gain and time shift, noise at a random SNR."""
    speech = speech[:CLIP_SAMPLES]
    clip = np.zeros(CLIP_SAMPLES, dtype=np.float32)
    start = int(rng.integers(0, CLIP_SAMPLES - len(speech) + 1))
    peak = float(np.max(np.abs(speech))) or 1.0
    scaled = speech * (rng.uniform(0.2, 0.9) / peak)
    clip[start : start + len(scaled)] = scaled
    snr = float(snrs[rng.integers(len(snrs))])
    # SNR over the word itself (not the whole second, which would depend on word length).
    speech_rms = float(np.sqrt(np.mean(scaled**2)))
    clip += _noise(rng, CLIP_SAMPLES) * (speech_rms / 10 ** (snr / 20))
    return np.clip(clip, -1.0, 1.0)


def _silence(rng: np.random.Generator) -> np.ndarray:
    # Background only, from nearly silent to clearly audible (log-uniform RMS).
    return np.clip(_noise(rng, CLIP_SAMPLES) * 10 ** rng.uniform(-4, -1.3), -1.0, 1.0)


def features(audio: np.ndarray, feature: str = "mfcc", num_coeffs: int = 10) -> np.ndarray:
    """MLPerf Tiny KWS front end on (N, 16000) float audio -> (N, 49, C, 1) float32.

    ``feature="mfcc"``: the first ``num_coeffs`` MFCCs of the log-mel spectrogram;
    ``"logmel"``: the 40 log-mel bins (``num_coeffs`` ignored).
    """
    import tensorflow as tf  # only for the front end; cached loads never import it

    stft = tf.signal.stft(audio, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP, fft_length=FFT_LENGTH)
    spectrogram = tf.abs(stft)
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        NUM_MEL_BINS, spectrogram.shape[-1], SAMPLE_RATE, MEL_LOW_HZ, MEL_HIGH_HZ
    )
    log_mel = tf.math.log(tf.tensordot(spectrogram, mel_matrix, 1) + 1e-6)
    if feature == "logmel":
        out = log_mel
    elif feature == "mfcc":
        out = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :num_coeffs]
    else:
        raise DataError(f"unknown kws feature {feature!r}: use 'mfcc' or 'logmel'")
    return out.numpy().astype(np.float32)[..., None]


def _split_groups(n_groups: int, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    # Boolean "is test" per group; at least one test group whenever there are two or more.
    n_test = int(round(n_groups * test_fraction))
    if n_groups >= 2:
        n_test = min(max(n_test, 1), n_groups - 1)
    is_test = np.zeros(n_groups, dtype=bool)
    is_test[rng.permutation(n_groups)[:n_test]] = True
    return is_test


def load(
    *,
    words: tuple[str, ...] = WORDS,
    voices: tuple[str, ...] = VOICES,
    speeds: tuple[int, ...] = SPEEDS,
    pitches: tuple[int, ...] = PITCHES,
    augment: int = 2,
    snrs: tuple[float, ...] = SNRS,
    silence: bool = True,
    unknown: bool = True,
    unknown_words: tuple[str, ...] = UNKNOWN_WORDS,
    feature: str = "mfcc",
    num_coeffs: int = 10,
    test_fraction: float = 0.2,
    seed: int = 0,
    espeak: str | os.PathLike | None = None,
    workers: int = 2,
    cache: str | os.PathLike | None = None,
    use_cache: bool = True,
) -> Dataset:
    """Synthesize (or read from the cache) the KWS set: x (N, 49, C, 1) float32, y int64.

    Classes: ``words`` in order, then ``_silence_`` and ``_unknown_`` when enabled. Each
    class has ``len(voices) * len(speeds) * len(pitches) * augment`` clips (1,728 clips in
    ~12 classes with the defaults). ``espeak`` (or ``$EDGEQ_ESPEAK``) names the espeak-ng
    binary; ``cache`` the cache folder; ``workers`` the espeak processes run at once.
    """
    if feature not in ("mfcc", "logmel"):
        raise DataError(f"unknown kws feature {feature!r}: use 'mfcc' or 'logmel'")
    if not words or not voices or not speeds or not pitches or augment < 1:
        raise DataError("kws needs at least one word, voice, speed and pitch, and augment >= 1")
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    exe = find_espeak(espeak)
    recipe = {
        "generator": _GENERATOR_VERSION,
        "espeak": espeak_version(exe),
        "words": list(words),
        "voices": list(voices),
        "speeds": [int(s) for s in speeds],
        "pitches": [int(p) for p in pitches],
        "augment": int(augment),
        "snrs": [float(s) for s in snrs],
        "silence": bool(silence),
        "unknown": bool(unknown),
        "unknown_words": list(unknown_words) if unknown else [],
        "feature": feature,
        "num_coeffs": int(num_coeffs) if feature == "mfcc" else NUM_MEL_BINS,
        "test_fraction": float(test_fraction),
        "seed": int(seed),
    }
    path = cache_dir(cache) / f"kws-{recipe_key(recipe)}.npz"
    if use_cache and (ds := load_cached(path, "kws")) is not None:
        log.debug("kws from cache %s", path)
        return ds

    t0 = time.perf_counter()
    rng = np.random.default_rng(recipe["seed"])
    combos = [(v, s, p) for v in recipe["voices"] for s in recipe["speeds"] for p in recipe["pitches"]]
    class_names = list(recipe["words"])
    # (class index, text, voice, speed, pitch) per rendering
    renderings = [(ci, w, *c) for ci, w in enumerate(recipe["words"]) for c in combos]
    if recipe["silence"]:
        class_names.append(SILENCE)
    if recipe["unknown"]:
        if not recipe["unknown_words"]:
            raise DataError("kws: unknown=True needs at least one of unknown_words")
        class_names.append(UNKNOWN)
        picks = rng.integers(len(recipe["unknown_words"]), size=len(combos))
        renderings += [(len(class_names) - 1, recipe["unknown_words"][k], *c) for k, c in zip(picks, combos)]

    with tempfile.TemporaryDirectory(prefix="edgeq-kws-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
            jobs = [(r, Path(tmp) / f"{i}.wav") for i, r in enumerate(renderings)]
            speech = list(pool.map(lambda j: speak(exe, j[0][1], j[0][2], j[0][3], j[0][4], j[1]), jobs))
    t_speak = time.perf_counter() - t0

    clips, labels, is_test = [], [], []
    test_of = {}  # per class: which renderings go to the test split
    for ci in sorted({r[0] for r in renderings}):
        n = sum(1 for r in renderings if r[0] == ci)
        test_of[ci] = iter(_split_groups(n, recipe["test_fraction"], rng))
    for ri, (ci, text, *_c) in enumerate(renderings):
        if speech[ri].size == 0:
            raise DataError(f"espeak-ng produced no audio for {text!r} with {_c}; check `espeak-ng --voices=en`")
        test = next(test_of[ci])
        for a in range(recipe["augment"]):
            clip_rng = np.random.default_rng([recipe["seed"], ri, a])
            clips.append(_place(speech[ri], clip_rng, tuple(recipe["snrs"])))
            labels.append(ci)
            is_test.append(test)
    if recipe["silence"]:
        n_sil = len(combos) * recipe["augment"]
        sil_test = iter(_split_groups(n_sil, recipe["test_fraction"], rng))
        for k in range(n_sil):
            clips.append(_silence(np.random.default_rng([recipe["seed"], len(renderings), k])))
            labels.append(class_names.index(SILENCE))
            is_test.append(next(sil_test))

    x = features(np.stack(clips), feature, recipe["num_coeffs"])
    y = np.asarray(labels, dtype=np.int64)
    is_test = np.asarray(is_test, dtype=bool)
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(np.flatnonzero(is_test))
    ds = make_dataset("kws", x[train_idx], y[train_idx], x[test_idx], y[test_idx], class_names)
    log.info(
        "synthesized kws: %d clips, %d classes in %.1f s (espeak %.1f s)",
        len(y), len(class_names), time.perf_counter() - t0, t_speak,
    )  # fmt: skip
    if use_cache:
        store_cached(path, ds)
    return ds

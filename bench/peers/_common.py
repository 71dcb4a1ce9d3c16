"""Shared data stages of the Python peers (pandas + scikit-learn preprocessing).

Both peers run the same load -> clean -> split -> features code, so their data-stage times
measure pandas + scikit-learn, and their training and prediction stages differ only in the
model library. Run with Debian's /usr/bin/python3 (python3-pandas, python3-sklearn).

flights: Debian ships no Parquet reader for pandas (no python3-pyarrow, no fastparquet), so the
peers read a CSV copy of data/raw/flights-3m.parquet that bench/run.ts writes once per bench run.
"""

import json
import math
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

PENGUIN_NUMERIC = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"]
PENGUIN_CATEGORICAL = ["Island", "Sex"]


class Clock:
    """Seconds per stage, lap by lap."""

    def __init__(self):
        self.stages = {}
        self._last = time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        self.stages[name] = self.stages.get(name, 0.0) + now - self._last
        self._last = now

    def reset(self):
        self._last = time.perf_counter()

    def fastest(self, name, fn, repeats=3):
        """Runs fn `repeats` times (3, as bench/_results.ts PREDICT_REPEATS), records the fastest
        as stage `name`, and returns the last result."""
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
        self.stages[name] = best
        self.reset()
        return result


def arguments(argv):
    """--workload, --data, --split (penguins), --threads (torch) as a dict."""
    out = {"threads": None, "split": None}
    for i in range(1, len(argv) - 1, 2):
        out[argv[i].lstrip("-")] = argv[i + 1]
    return out


def js_round(x):
    """Math.round of JavaScript (halves up), as the project's split sizes."""
    return int(math.floor(x + 0.5))


def encoder(categorical, max_categories=None):
    """A dense float32 one-hot encoder (sklearn >= 1.2 spells it sparse_output)."""
    options = {"dtype": np.float32}
    if max_categories is not None:
        options.update(max_categories=max_categories, handle_unknown="infrequent_if_exist")
    else:
        options.update(handle_unknown="ignore")
    try:
        return OneHotEncoder(sparse_output=False, **options)
    except TypeError:
        return OneHotEncoder(sparse=False, **options)


def prepare_flights(path, clock):
    """Load the CSV, derive delayed = delay > 15, split by time, scale + one-hot top 20."""
    df = pd.read_csv(
        path,
        dtype={"delay": np.int64, "distance": np.int64, "origin": str, "destination": str},
        parse_dates=["date"],
    )
    clock.lap("load")
    df["label"] = (df["delay"] > 15).astype(np.int64)
    df = df.dropna(subset=["date", "distance", "origin", "destination", "delay"])
    clock.lap("clean")
    df = df.sort_values("date", kind="stable").reset_index(drop=True)
    times = df["date"].values
    n = len(df)
    n_test = js_round(n * 0.15)
    n_val = js_round(n * 0.15)

    def past_ties(b):
        while 0 < b < n and times[b] == times[b - 1]:
            b += 1
        return b

    train_end = past_ties(n - n_test - n_val)
    val_end = past_ties(max(train_end, n - n_test))
    parts = {"train": df.iloc[:train_end], "val": df.iloc[train_end:val_end], "test": df.iloc[val_end:]}
    clock.lap("split")

    def derived(part):
        return pd.DataFrame({
            "distance": part["distance"].astype(np.float64),
            "hour": part["date"].dt.hour.astype(np.float64),
            "weekday": (part["date"].dt.weekday + 1).astype(np.float64),
            "origin": part["origin"],
            "destination": part["destination"],
        })

    transformer = ColumnTransformer([
        ("numeric", StandardScaler(), ["distance", "hour", "weekday"]),
        ("airports", encoder(["origin", "destination"], max_categories=21), ["origin", "destination"]),
    ])
    frames = {name: derived(part) for name, part in parts.items()}
    x_train = transformer.fit_transform(frames["train"]).astype(np.float32)
    out = {"train": (x_train, parts["train"]["label"].to_numpy())}
    for name in ("val", "test"):
        out[name] = (transformer.transform(frames[name]).astype(np.float32), parts[name]["label"].to_numpy())
    clock.lap("features")
    return out, 2


def prepare_penguins(path, split_path, clock):
    """Load the CSV, clean as config/profiles/penguins.yaml, take the project's split rows, scale + one-hot."""
    df = pd.read_csv(path, na_values={"Sex": ["."]})
    clock.lap("load")
    for column in df.columns:
        if df[column].dtype == object:
            df[column] = df[column].str.strip()
    df = df.dropna(subset=PENGUIN_NUMERIC + ["Sex"])
    clock.lap("clean")
    with open(split_path) as handle:
        rows = json.load(handle)
    classes = sorted(df["Species"].unique())
    index = {c: i for i, c in enumerate(classes)}
    parts = {name: df.loc[rows[name]] for name in ("train", "val", "test")}
    clock.lap("split")
    transformer = ColumnTransformer([
        ("numeric", StandardScaler(), PENGUIN_NUMERIC),
        ("categorical", encoder(PENGUIN_CATEGORICAL), PENGUIN_CATEGORICAL),
    ])
    x_train = transformer.fit_transform(parts["train"]).astype(np.float32)
    out = {}
    for name, part in parts.items():
        x = x_train if name == "train" else transformer.transform(part).astype(np.float32)
        out[name] = (x, part["Species"].map(index).to_numpy())
    clock.lap("features")
    return out, len(classes)


def prepare(args, clock):
    if args["workload"] == "flights":
        return prepare_flights(args["data"], clock)
    return prepare_penguins(args["data"], args["split"], clock)


def quality(probabilities, labels, k):
    """Accuracy of the arg-max class and ROC AUC (binary, or one-vs-rest macro)."""
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels))
    if k == 2:
        auc = roc_auc_score(labels, probabilities[:, 1])
    else:
        auc = roc_auc_score(labels, probabilities, multi_class="ovr", average="macro", labels=list(range(k)))
    return {"accuracy": accuracy, "roc_auc": float(auc)}


def log_loss(probabilities, labels):
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(picked, 1e-12))))


def report(result):
    """Prints the result as one JSON line, with this process's peak RSS in MiB."""
    result["self_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    sys.stdout.flush()

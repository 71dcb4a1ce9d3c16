"""scikit-learn on the rows a deno-mlops run recorded: the peer of bench/datasets.ts.

Reads the run's train and test rows (written by `deno task split --run ID`, the input rows as
loaded, before any cleaning) and a JSON spec on argv[1]:

  {"train": PATH, "test": PATH, "target": NAME, "task": "classification" | "regression",
   "metric": "f1_macro" | "roc_auc" | "accuracy" | "rmse" | "mae" | "r2",
   "ignore": [NAME, ...], "dates": [NAME, ...]}

Rows whose target is missing are dropped (they cannot be scored, and the project drops them
too). Every other column except `ignore` is a feature: date columns become year, month, day of
year and weekday; numeric columns are median-imputed (and standardised for the linear model);
text columns (missing as a category of its own) are one-hot encoded with at most 20 categories (the rest one "infrequent" column).
Then LogisticRegression (Ridge for regression), RandomForest and HistGradientBoosting are
fitted on train and scored on test with the run's primary metric. Prints one JSON object.
Run with Debian's /usr/bin/python3 (python3-pandas, python3-sklearn).
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 42


def read(path, spec):
    frame = pd.read_csv(path, keep_default_na=True)
    frame = frame[frame[spec["target"]].notna()].reset_index(drop=True)
    for column in spec["dates"]:
        if column not in frame.columns:
            continue
        parsed = pd.to_datetime(frame[column], errors="coerce")
        frame[f"{column}__year"] = parsed.dt.year
        frame[f"{column}__month"] = parsed.dt.month
        frame[f"{column}__dayofyear"] = parsed.dt.dayofyear
        frame[f"{column}__weekday"] = parsed.dt.weekday
        frame = frame.drop(columns=[column])
    return frame


def columns_of(frame, spec):
    skip = set(spec["ignore"]) | {spec["target"]}
    numeric, text = [], []
    for column in frame.columns:
        if column in skip or frame[column].isna().all():
            continue
        if pd.api.types.is_bool_dtype(frame[column]) or not pd.api.types.is_numeric_dtype(frame[column]):
            text.append(column)
        else:
            numeric.append(column)
    return numeric, text


def preprocessor(numeric, text, scale):
    numeric_steps = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(*numeric_steps), numeric),
            (
                "text",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", max_categories=20, sparse_output=False
                ),
                text,
            ),
        ]
    )


def models(task):
    if task == "classification":
        return {
            "LogisticRegression": (LogisticRegression(max_iter=2000), True),
            "RandomForest": (RandomForestClassifier(n_estimators=200, random_state=SEED, n_jobs=1), False),
            "HistGradientBoosting": (HistGradientBoostingClassifier(random_state=SEED), False),
        }
    return {
        "Ridge": (Ridge(), True),
        "RandomForest": (RandomForestRegressor(n_estimators=200, random_state=SEED, n_jobs=1), False),
        "HistGradientBoosting": (HistGradientBoostingRegressor(random_state=SEED), False),
    }


def score(metric, model, x, y):
    if metric == "roc_auc":
        probabilities = model.predict_proba(x)
        positive = list(model.classes_).index(sorted(model.classes_, key=str)[-1])
        return float(roc_auc_score((y == model.classes_[positive]).astype(int), probabilities[:, positive]))
    predicted = model.predict(x)
    if metric == "f1_macro":
        return float(f1_score(y, predicted, average="macro"))
    if metric == "accuracy":
        return float(accuracy_score(y, predicted))
    if metric == "rmse":
        return float(np.sqrt(mean_squared_error(y, predicted)))
    if metric == "mae":
        return float(mean_absolute_error(y, predicted))
    if metric == "r2":
        return float(r2_score(y, predicted))
    raise SystemExit(f"unknown metric {metric!r}: add it to bench/peers/datasets_peer.py score()")


def main():
    spec = json.loads(sys.argv[1])
    train = read(spec["train"], spec)
    test = read(spec["test"], spec)
    numeric, text = columns_of(train, spec)
    target = spec["target"]
    y_train = train[target].astype(str) if spec["task"] == "classification" else train[target].astype(float)
    y_test = test[target].astype(str) if spec["task"] == "classification" else test[target].astype(float)
    for column in text:  # a missing text value is a category of its own
        train[column] = [str(v) if pd.notna(v) else "<missing>" for v in train[column]]
        test[column] = [str(v) if pd.notna(v) else "<missing>" for v in test[column]]
    results = {}
    for name, (estimator, scale) in models(spec["task"]).items():
        started = time.perf_counter()
        model = make_pipeline(preprocessor(numeric, text, scale), estimator)
        model.fit(train[numeric + text], y_train)
        seconds = time.perf_counter() - started
        results[name] = {
            "value": score(spec["metric"], model, test[numeric + text], y_test),
            "fit_seconds": seconds,
        }
    print(json.dumps({"rows": {"train": len(train), "test": len(test)}, "models": results}))


if __name__ == "__main__":
    main()

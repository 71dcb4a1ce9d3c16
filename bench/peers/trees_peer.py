"""Gradient-boosted trees on the rows a deno-mlops flights run recorded: the peer of bench/trees.ts.

Reads the run's train and test rows (CSV files written by `deno task split --run ID`: the input
rows as loaded, with columns date, delay, distance, origin, destination), fits one model on the
train rows and scores the test rows, then prints one JSON object on stdout.

  trees_peer.py --model sklearn|xgboost|xgboost-categorical --train PATH --test PATH
                [--rounds 200] [--leaves 31] [--learning-rate 0.1] [--l2 1] [--max-bins 255]
                [--min-samples-leaf 20] [--threads 2] [--seed 42] [--repeats 3]

Target: delay > 15 minutes (the flights profile's derive_target), 1 = delayed.
Features: distance, hour, weekday (ISO, 1 = Monday), origin, destination. The airports are
categorical: each column keeps its 254 most frequent training airports (ties by code) as codes
0..253 and maps every other airport, and any airport unseen in training, to code 254 ("other"),
because scikit-learn's HistGradientBoosting needs a categorical cardinality of at most
max_bins = 255.

Models, all without early stopping (every model grows exactly --rounds trees):
  sklearn              HistGradientBoostingClassifier(categorical_features=[origin, destination])
  xgboost              XGBClassifier(tree_method="hist", grow_policy="lossguide"), airports as
                       integer codes (ordered numbers, no categorical splits)
  xgboost-categorical  the same with enable_categorical=True on pandas category columns (the
                       codes above as categories; partition splits)

Times: fit_seconds is the fit call alone (the data is prepared before); predict_seconds is the
fastest of --repeats predict_proba calls on the prepared test matrix. Peak memory: VmHWM of this
process at the end (/proc/self/status), and ru_maxrss. Run with Debian's /usr/bin/python3
(python3-pandas, python3-sklearn, python3-xgboost).
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

MODELS = ("sklearn", "xgboost", "xgboost-categorical")
AIRPORTS = ("origin", "destination")
FEATURES = ("distance", "hour", "weekday", "origin", "destination")
DELAY_THRESHOLD = 15
CHUNK_ROWS = 500_000


def parse_args(argv):
    """The command line; exits with status 2 and a usage message on a bad argument."""
    parser = argparse.ArgumentParser(
        prog="trees_peer.py",
        description="Fit scikit-learn or XGBoost gradient-boosted trees on a flights run's rows.",
    )
    parser.add_argument("--model", required=True, choices=MODELS)
    parser.add_argument("--train", required=True, help="train.csv of `deno task split`")
    parser.add_argument("--test", required=True, help="test.csv of `deno task split`")
    parser.add_argument("--rounds", type=positive_int, default=200)
    parser.add_argument("--leaves", type=positive_int, default=31)
    parser.add_argument("--learning-rate", type=positive_float, default=0.1)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--max-bins", type=positive_int, default=255)
    parser.add_argument("--min-samples-leaf", type=positive_int, default=20)
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=positive_int, default=3)
    args = parser.parse_args(argv)
    if args.max_bins > 255:
        parser.error(f"--max-bins: at most 255 (scikit-learn's limit), got {args.max_bins}")
    return args


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def read_rows(path):
    """The rows of a split file as compact columns: label, distance, hour, weekday, airports.

    Read in chunks so the date strings never all sit in memory at once.
    """
    parts = []
    reader = pd.read_csv(
        path,
        usecols=["date", "delay", "distance", "origin", "destination"],
        dtype={"date": str, "delay": "int32", "distance": "float64", "origin": str, "destination": str},
        keep_default_na=False,
        chunksize=CHUNK_ROWS,
    )
    for chunk in reader:
        date = pd.to_datetime(chunk["date"], format="%Y-%m-%dT%H:%M:%S.%f")
        parts.append(
            pd.DataFrame(
                {
                    "label": (chunk["delay"].to_numpy() > DELAY_THRESHOLD).astype(np.int8),
                    "distance": chunk["distance"].to_numpy(),
                    "hour": date.dt.hour.to_numpy(dtype=np.float64),
                    "weekday": (date.dt.weekday + 1).to_numpy(dtype=np.float64),
                    "origin": chunk["origin"].astype("category"),
                    "destination": chunk["destination"].astype("category"),
                }
            )
        )
    if not parts:
        raise SystemExit(f"trees_peer.py: {path} holds no rows")
    frame = pd.concat(parts, ignore_index=True)
    for column in AIRPORTS:  # concat of differing categories falls back to object
        frame[column] = frame[column].astype("category")
    return frame


def airport_codes(train, test, max_bins):
    """Per airport column: codes 0..max_bins-2 for the most frequent training airports, and
    max_bins-1 ("other") for the rest and for airports unseen in training."""
    kept = max_bins - 1
    codes = {"train": {}, "test": {}}
    notes = {}
    for column in AIRPORTS:
        counts = train[column].value_counts()
        order = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
        top = [name for name, count in order[:kept] if count > 0]
        lookup = {name: code for code, name in enumerate(top)}
        other = kept
        for split, frame in (("train", train), ("test", test)):
            values = frame[column].astype(str).map(lookup)
            codes[split][column] = values.fillna(other).to_numpy(dtype=np.float64)
        seen = int((counts > 0).sum())
        notes[column] = {
            "train_airports": seen,
            "kept": len(top),
            "other_airports": max(0, seen - len(top)),
            "train_rows_other": int((codes["train"][column] == other).sum()),
            "test_rows_other": int((codes["test"][column] == other).sum()),
        }
    return codes, notes


def matrices(train, test, codes):
    """Float64 feature matrices in FEATURES order, airports as codes."""
    out = {}
    for split, frame in (("train", train), ("test", test)):
        columns = [frame["distance"].to_numpy(), frame["hour"].to_numpy(), frame["weekday"].to_numpy()]
        columns += [codes[split][column] for column in AIRPORTS]
        out[split] = np.column_stack(columns)
    return out


def make_model(args):
    if args.model == "sklearn":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=args.rounds,
            max_leaf_nodes=args.leaves,
            learning_rate=args.learning_rate,
            l2_regularization=args.l2,
            max_bins=args.max_bins,
            min_samples_leaf=args.min_samples_leaf,
            categorical_features=[FEATURES.index(column) for column in AIRPORTS],
            early_stopping=False,
            random_state=args.seed,
        )
    from xgboost import XGBClassifier

    return XGBClassifier(
        n_estimators=args.rounds,
        max_leaves=args.leaves,
        max_depth=0,
        grow_policy="lossguide",
        learning_rate=args.learning_rate,
        reg_lambda=args.l2,
        max_bin=args.max_bins,
        tree_method="hist",
        n_jobs=args.threads,
        random_state=args.seed,
        enable_categorical=args.model == "xgboost-categorical",
    )


def features_for(args, matrix):
    """The model's input: the code matrix, or (xgboost-categorical) a frame with category columns."""
    if args.model != "xgboost-categorical":
        return matrix
    frame = pd.DataFrame(matrix, columns=list(FEATURES))
    for column in AIRPORTS:
        frame[column] = pd.Categorical(
            frame[column].astype(np.int32), categories=list(range(args.max_bins))
        )
    return frame


def peak_rss_mib():
    """VmHWM of this process in MiB (0 when /proc is not there)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def versions(model):
    import sklearn

    out = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__}
    out["sklearn"] = sklearn.__version__
    if model != "sklearn":
        import xgboost

        out["xgboost"] = xgboost.__version__
    return out


def main(argv):
    args = parse_args(argv)
    from sklearn.metrics import roc_auc_score

    train = read_rows(args.train)
    test = read_rows(args.test)
    codes, airports = airport_codes(train, test, args.max_bins)
    x = matrices(train, test, codes)
    y_train = train["label"].to_numpy()
    y_test = test["label"].to_numpy()
    rows = {"train": len(train), "test": len(test)}
    del train, test, codes
    x_train = features_for(args, x["train"])
    x_test = features_for(args, x["test"])
    del x
    model = make_model(args)
    # scikit-learn's OpenMP threads (XGBoost takes n_jobs); OMP_NUM_THREADS is set too.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads, user_api="openmp"):
        started = time.perf_counter()
        model.fit(x_train, y_train)
        fit_seconds = time.perf_counter() - started
        predict_seconds = float("inf")
        for _ in range(args.repeats):
            started = time.perf_counter()
            probabilities = model.predict_proba(x_test)
            predict_seconds = min(predict_seconds, time.perf_counter() - started)
    positive = list(model.classes_).index(1)
    auc = float(roc_auc_score(y_test, probabilities[:, positive]))
    trees = getattr(model, "n_iter_", None)
    if trees is None:
        trees = model.get_booster().num_boosted_rounds()
    result = {
        "model": args.model,
        "rows": rows,
        "positive_share": {"train": float(y_train.mean()), "test": float(y_test.mean())},
        "auc": auc,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predict_rows_per_second": rows["test"] / predict_seconds,
        "rounds": int(trees),
        "airports": airports,
        "settings": {
            "rounds": args.rounds,
            "leaves": args.leaves,
            "learning_rate": args.learning_rate,
            "l2": args.l2,
            "max_bins": args.max_bins,
            "min_samples_leaf": args.min_samples_leaf if args.model == "sklearn" else None,
            "threads": args.threads,
            "early_stopping": False,
        },
        "versions": versions(args.model),
        "peak_rss_mib": peak_rss_mib(),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

"""pandas + scikit-learn peer: the _common data stages, then MLPClassifier.

    /usr/bin/python3 bench/peers/sklearn_peer.py --workload flights --data FLIGHTS.csv
    /usr/bin/python3 bench/peers/sklearn_peer.py --workload penguins --data penguins.csv --split SPLIT.json

The network matches the project's (relu hidden layers, Adam, the workload's batch size and
learning rate, Glorot-uniform weights); scikit-learn's MLPClassifier has no dropout and a
single logistic output unit for two classes. Epochs run one `partial_fit` pass each, with the
validation loss computed after every epoch as the project's loop does; early stopping (penguins)
watches that loss with the project's patience and restores the best epoch's weights.
"""

import copy
import sys
import time
import warnings

import numpy as np
from sklearn.neural_network import MLPClassifier

import _common as common
from settings import SETTINGS


def main():
    args = common.arguments(sys.argv)
    settings = SETTINGS[args["workload"]]
    clock = common.Clock()
    data, k = common.prepare(args, clock)
    x_train, y_train = data["train"]
    x_val, y_val = data["val"]
    x_test, y_test = data["test"]
    # Project: l2 * sum(w^2) added to the batch-mean loss; sklearn adds alpha / 2 * sum(w^2) / batch.
    alpha = 2 * settings["l2"] * settings["batch_size"]
    model = MLPClassifier(
        hidden_layer_sizes=tuple(settings["hidden"]),
        activation="relu",
        solver="adam",
        alpha=alpha,
        batch_size=settings["batch_size"],
        learning_rate_init=settings["learning_rate"],
        shuffle=True,
        random_state=settings["seed"],
        max_iter=1,
    )
    classes = np.arange(k)
    clock.reset()
    best, best_state, wait, epochs = np.inf, None, 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(settings["epochs"]):
            model.partial_fit(x_train, y_train, classes=classes)
            epochs += 1
            loss = common.log_loss(model.predict_proba(x_val), y_val)
            if settings["patience"] > 0:
                if loss < best:
                    best, wait = loss, 0
                    best_state = (copy.deepcopy(model.coefs_), copy.deepcopy(model.intercepts_))
                else:
                    wait += 1
                    if wait >= settings["patience"]:
                        break
        if best_state is not None:
            model.coefs_, model.intercepts_ = best_state
    clock.lap("train")
    model.predict_proba(x_test[: min(8192, len(x_test))])
    probabilities = clock.fastest("predict", lambda: model.predict_proba(x_test))
    common.report({
        "system": "sklearn",
        "rows": {"train": len(y_train), "val": len(y_val), "test": len(y_test)},
        "features": int(x_train.shape[1]),
        "stages": clock.stages,
        "epochs": epochs,
        "quality": common.quality(probabilities, y_test, k),
    })


if __name__ == "__main__":
    main()

"""PyTorch CPU peer: the _common data stages (pandas + scikit-learn), then the project's network
in torch — Linear/ReLU layers, dropout, Glorot-uniform weights and zero biases, softmax
cross-entropy over one logit per class, L2 on the kernels added to the loss, Adam — trained on
the same batches sizes with a seeded shuffle each epoch, the validation loss after every epoch,
and early stopping with best-weight restore where the workload uses it.

    /usr/bin/python3 bench/peers/torch_peer.py --workload flights --data FLIGHTS.csv [--threads 2]
"""

import copy
import os
import sys

import numpy as np
import torch

import _common as common
from settings import SETTINGS


def build(d, hidden, k, dropout, seed):
    torch.manual_seed(seed)
    layers, fan_in = [], d
    for units in hidden:
        layers += [torch.nn.Linear(fan_in, units), torch.nn.ReLU()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        fan_in = units
    layers.append(torch.nn.Linear(fan_in, k))
    net = torch.nn.Sequential(*layers)
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return net


def probabilities(net, x, chunk=None):
    net.eval()
    with torch.no_grad():
        if chunk is None:
            return torch.softmax(net(x), dim=1)
        return torch.cat([torch.softmax(net(x[s:s + chunk]), dim=1) for s in range(0, len(x), chunk)])


def main():
    args = common.arguments(sys.argv)
    if args["threads"]:
        torch.set_num_threads(int(args["threads"]))
    settings = SETTINGS[args["workload"]]
    clock = common.Clock()
    data, k = common.prepare(args, clock)
    x_train, y_train = (torch.from_numpy(np.ascontiguousarray(a)) for a in data["train"])
    x_val, y_val = (torch.from_numpy(np.ascontiguousarray(a)) for a in data["val"])
    x_test, y_test = (torch.from_numpy(np.ascontiguousarray(a)) for a in data["test"])
    clock.reset()
    net = build(x_train.shape[1], settings["hidden"], k, settings["dropout"], settings["seed"])
    kernels = [layer.weight for layer in net if isinstance(layer, torch.nn.Linear)]
    optimizer = torch.optim.Adam(net.parameters(), lr=settings["learning_rate"])
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(settings["seed"])
    n, batch, l2 = len(y_train), settings["batch_size"], settings["l2"]
    best, best_state, wait, epochs = float("inf"), None, 0, 0
    for epoch in range(settings["epochs"]):
        net.train()
        order = torch.randperm(n, generator=generator)
        loss_sum = 0.0
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x_train[rows]), y_train[rows])
            if l2 > 0:
                loss = loss + l2 * sum((w * w).sum() for w in kernels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(rows)
        epochs += 1
        with torch.no_grad():
            val_loss = float(loss_fn(net.eval()(x_val), y_val))
            if l2 > 0:
                val_loss += float(l2 * sum((w * w).sum() for w in kernels))
        if settings["patience"] > 0:
            if val_loss < best:
                best, wait, best_state = val_loss, 0, copy.deepcopy(net.state_dict())
            else:
                wait += 1
                if wait >= settings["patience"]:
                    break
    if best_state is not None:
        net.load_state_dict(best_state)
    clock.lap("train")
    probabilities(net, x_test[:8192])
    p = clock.fastest("predict", lambda: probabilities(net, x_test).numpy())
    common.report({
        "system": "torch",
        "threads": torch.get_num_threads(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "rows": {"train": int(n), "val": int(len(y_val)), "test": int(len(y_test))},
        "features": int(x_train.shape[1]),
        "stages": clock.stages,
        "epochs": epochs,
        "quality": common.quality(p, y_test.numpy(), k),
    })


if __name__ == "__main__":
    main()

"""The two workloads' model and training settings, as config/ sets them for the project."""

SETTINGS = {
    # config/profiles/flights.yaml
    "flights": {
        "hidden": [64, 64],
        "epochs": 2,
        "batch_size": 1024,
        "learning_rate": 0.001,
        "dropout": 0.0,
        "l2": 0.0,
        "patience": 0,
        "seed": 42,
    },
    # config/config.yaml + config/model_config.yaml + config/profiles/penguins.yaml
    "penguins": {
        "hidden": [32, 16],
        "epochs": 200,
        "batch_size": 32,
        "learning_rate": 0.01,
        "dropout": 0.1,
        "l2": 0.0001,
        "patience": 20,
        "seed": 42,
    },
}
